// Helpers for the data tests: a temporary folder per test, WAV and text writers, simple signals
// and a warning collector. Test files are written fresh into the temp folder, never read from
// outside the repository.
#pragma once

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "audio/audio_file.h"

namespace namk::test {

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("namk_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// `frames` interleaved over `channels`; format e.g. SF_FORMAT_WAV | SF_FORMAT_PCM_16.
inline void write_audio(const std::string& path, const std::vector<float>& interleaved,
                        int sample_rate, int channels = 1,
                        int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT) {
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error("test could not write " + path);
  sf_writef_float(f, interleaved.data(), static_cast<sf_count_t>(interleaved.size() / channels));
  sf_close(f);
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Band-limited-ish noise at RMS about level/2: a stand-in for a guitar DI.
// A file's bytes, for comparing outputs.
inline std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::vector<float> noise(size_t n, std::uint64_t seed, double level = 0.5) {
  std::mt19937_64 rng(seed);
  std::vector<float> x(n);
  double lp = 0;
  for (auto& v : x) {
    lp += 0.5 * ((double(rng() >> 11) * 0x1.0p-53 * 2 - 1) - lp);
    v = static_cast<float>(level * lp * 1.5);
  }
  return x;
}

// y[t] = gain * tanh(2 x[t - delay]) (zeros where t - delay is outside x).
inline std::vector<float> delayed_amp(const std::vector<float>& x, long delay, double gain = 0.5) {
  std::vector<float> y(x.size(), 0.0f);
  for (long t = 0; t < static_cast<long>(x.size()); ++t) {
    const long s = t - delay;
    if (s >= 0 && s < static_cast<long>(x.size()))
      y[t] = static_cast<float>(gain * std::tanh(2.0 * x[s]));
  }
  return y;
}

struct Warnings {
  std::vector<std::string> list;
  WarningSink sink() {
    return [this](const std::string& w) { list.push_back(w); };
  }
  bool contains(const std::string& part) const {
    for (const auto& w : list)
      if (w.find(part) != std::string::npos) return true;
    return false;
  }
};

}  // namespace namk::test
