// Content checks on audio, with messages that say what is wrong and how to fix it: NaN/Inf,
// clipping, silence. Thresholds are fixed here (not user options) because they describe broken
// recordings, not preferences.
#pragma once

#include <span>
#include <string>

namespace namk {

// A sample this close to full scale is clipped: 1 - 2^-15 is the largest 16-bit code, so a
// clipped PCM recording trips it as well as a float one.
inline constexpr double kClipLevel = 1.0 - 1.0 / 32768.0;
// Below this RMS a whole recording is treated as silent (the amp was off, a cable was unplugged).
inline constexpr double kSilentRmsDb = -80.0;
// Below this RMS a validation segment measures next to nothing (a decay tail).
inline constexpr double kQuietSegmentRmsDb = -50.0;
// A block quieter than this (RMS) is not "signal" when picking validation segments.
inline constexpr double kSignalBlockRmsDb = -60.0;

double rms_db(std::span<const float> x);  // -inf dB for all-zero or empty

// Each throws InputError naming `file`, the first offending sample (index and seconds) and a fix.
void check_finite(std::span<const float> x, const std::string& file, int sample_rate);
void check_not_clipped(std::span<const float> x, const std::string& file, int sample_rate);
void check_not_silent(std::span<const float> x, const std::string& file);

// One past the last sample of the last 1024-sample block whose RMS exceeds kSignalBlockRmsDb
// (0 if none): where the signal ends, ignoring a silent or decaying tail.
size_t signal_end(std::span<const float> x);

}  // namespace namk
