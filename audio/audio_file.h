// Audio files in and out, through libsndfile. Reads anything libsndfile reads (PCM or float
// WAV, FLAC, AIFF...) as mono float32; writes float32 WAV, atomically. Content checks (clipping,
// silence, NaN) are not made here but in audio_checks.h, since what is wrong depends on the role.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace namk {

// Receives warnings (problems that were tolerated). Tests collect them; the CLI prints them.
using WarningSink = std::function<void(const std::string&)>;

struct Audio {
  std::vector<float> samples;  // mono
  int sample_rate = 0;
};

// Throws InputError for a missing or unreadable file, and for more than one channel unless all
// channels are identical (then warns and keeps the first).
Audio read_audio(const std::string& path, const WarningSink& warn);

// Float32 WAV, written to a temp file and renamed (base/atomic_file.h).
void write_wav(const std::string& path, const std::vector<float>& samples, int sample_rate);

}  // namespace namk
