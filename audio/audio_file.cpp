// See audio_file.h.
#include "audio/audio_file.h"

#include <sndfile.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "base/atomic_file.h"
#include "base/error.h"

namespace namk {

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

// A WAV cut short (an interrupted copy or recording) opens without error: libsndfile shortens
// the frame count to what the file holds and only notes it in its log, as
// "data : 96000 (should be 47978)". That note is the one sign, so it becomes a warning.
void warn_if_truncated(SNDFILE* file, const std::string& path, sf_count_t frames, const WarningSink& warn) {
  char log[4096] = {};
  sf_command(file, SFC_GET_LOG_INFO, log, sizeof log - 1);
  const std::string text(log);
  for (size_t line = 0; line < text.size();) {
    const size_t end = std::min(text.find('\n', line), text.size());
    const std::string l = text.substr(line, end - line);
    long long declared = 0, present = 0;
    if (l.rfind("data", 0) == 0 && std::sscanf(l.c_str(), "data : %lld (should be %lld)", &declared, &present) == 2 &&
        present < declared) {
      warn(path + ": truncated file: the header declares " + std::to_string(declared) +
           " bytes of audio, the file holds " + std::to_string(present) + "; using the " +
           std::to_string(frames) + " frames present");
      return;
    }
    line = end + 1;
  }
}

}  // namespace

Audio read_audio(const std::string& path, const WarningSink& warn) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw input_error(path, "", "an audio file", "a folder (name a file inside it)");
  if (!fs::exists(path, ec)) throw input_error(path, "", "an audio file", "no such file");
  if (!fs::is_regular_file(path, ec))
    throw input_error(path, "", "an audio file", "something that is not a regular file");
  SF_INFO info{};
  SndfileHandle file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    throw input_error(path, "", "audio that libsndfile can read (WAV, FLAC, AIFF...)",
                      std::string("unreadable or corrupt audio (") + sf_strerror(nullptr) + ")");
  if (info.channels < 1 || info.frames < 0 || info.samplerate < 1)
    throw input_error(path, "", "audio with at least one channel and a positive sample rate",
                      "a malformed header");
  warn_if_truncated(file.get(), path, info.frames, warn);
  const auto channels = static_cast<size_t>(info.channels);
  // Read in blocks rather than allocating what the header claims: a damaged or hostile header
  // may declare far more frames than the file holds, and memory then grows only with real audio.
  constexpr size_t kBlockFrames = 4096;
  std::vector<float> block(kBlockFrames * channels);
  Audio audio;
  audio.sample_rate = info.samplerate;
  bool channels_differ = false;
  for (;;) {
    const sf_count_t got = sf_readf_float(file.get(), block.data(), static_cast<sf_count_t>(kBlockFrames));
    if (got <= 0) break;
    for (size_t t = 0; t < static_cast<size_t>(got); ++t) {
      const float first = block[t * channels];
      audio.samples.push_back(first);
      for (size_t c = 1; c < channels; ++c) channels_differ |= block[t * channels + c] != first;
    }
    if (channels_differ)
      throw input_error(path, "", "mono audio",
                        std::to_string(channels) +
                            " channels that differ (export the amp's output as a mono file, or "
                            "keep only the channel you recorded)");
  }
  const auto frames = static_cast<size_t>(info.frames);
  if (audio.samples.size() < frames)
    throw input_error(path, "", std::to_string(frames) + " frames (as the header says)",
                      std::to_string(audio.samples.size()) + " readable frames (truncated or corrupt file)");
  if (channels > 1)
    warn(path + ": " + std::to_string(channels) +
         " identical channels; using the first (a mono file would be half the size)");
  return audio;
}

void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate) {
  write_file_atomically(path, [&](const std::string& temp) {
    SF_INFO info{};
    info.samplerate = sample_rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SndfileHandle file(sf_open(temp.c_str(), SFM_WRITE, &info));
    if (!file) throw input_error(temp, "", "a writable WAV file", sf_strerror(nullptr));
    // Without this, libsndfile adds a PEAK chunk holding a timestamp: same audio, different bytes.
    sf_command(file.get(), SFC_SET_ADD_PEAK_CHUNK, nullptr, SF_FALSE);
    const auto n = static_cast<sf_count_t>(samples.size());
    if (sf_writef_float(file.get(), samples.data(), n) != n)
      throw input_error(temp, "", "a complete write", sf_strerror(file.get()));
  });
}

}  // namespace namk
