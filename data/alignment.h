// Input/output latency estimation for recordings made through an interface (reamping): finds d
// such that output[t + d] best matches input[t]. Cross-correlation of high-passed signals, so DC
// and low-frequency rumble (which correlate at every lag) do not decide; the peak is taken in
// absolute value because many amps invert polarity. Integer lags only; no sub-sample alignment.
#pragma once

#include <span>

namespace namk {

// Largest |delay| searched by default: 50 ms at 48 kHz, more than any usual interface round trip.
inline constexpr long kMaxAutoDelay = 2400;

// Correlates over the loudest stretch of `input` (up to 2^15 samples), lags in [-max_delay,
// max_delay] (shrunk to fit short signals). Returns 0 for signals too short to measure.
long estimate_delay(std::span<const float> input, std::span<const float> output,
                    long max_delay = kMaxAutoDelay);

}  // namespace namk
