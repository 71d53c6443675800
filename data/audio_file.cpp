// See audio_file.h.
#include "data/audio_file.h"

#include <sndfile.h>

#include <filesystem>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"

namespace namk {

namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

}  // namespace

Audio read_audio(const std::string& path, const WarningSink& warn) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw input_error(path, "", "an audio file", "no such file");
  SF_INFO info{};
  SndfileHandle file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file)
    throw input_error(path, "", "audio that libsndfile can read (WAV, FLAC, AIFF...)",
                      std::string("unreadable or corrupt audio (") + sf_strerror(nullptr) + ")");
  if (info.channels < 1 || info.frames < 0)
    throw input_error(path, "", "audio with at least one channel", "a malformed header");
  const auto frames = static_cast<size_t>(info.frames),
             channels = static_cast<size_t>(info.channels);
  std::vector<float> interleaved(frames * channels);
  const sf_count_t got = sf_readf_float(file.get(), interleaved.data(), info.frames);
  if (got != info.frames)
    throw input_error(path, "", std::to_string(info.frames) + " frames (as the header says)",
                      std::to_string(got) + " readable frames (truncated or corrupt file)");

  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.samples.resize(frames);
  for (size_t t = 0; t < frames; ++t) audio.samples[t] = interleaved[t * channels];
  if (channels > 1) {
    for (size_t t = 0; t < frames; ++t)
      for (size_t c = 1; c < channels; ++c)
        if (interleaved[t * channels + c] != interleaved[t * channels])
          throw input_error(path, "", "mono audio",
                            std::to_string(channels) +
                                " channels that differ (export the amp's output as a mono file, or "
                                "keep only the channel you recorded)");
    warn(path + ": " + std::to_string(channels) +
         " identical channels; using the first (a mono file would be half the size)");
  }
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
