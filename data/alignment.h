// Input/output latency of recordings made through an interface (reamping): the smallest d such
// that output[t + d] depends on input[t], i.e. the first arrival of the chain's impulse response.
// Not the cross-correlation peak: that sits at the chain's group delay, a few samples after the
// first arrival for any filter with phase shift, and aligning there asks a causal model to predict
// the output before its input arrives. Integer lags only; negative: the output leads the input.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace namk {

// Largest |delay| searched by default: 50 ms at 48 kHz, more than any usual interface round trip.
inline constexpr long kMaxAutoDelay = 2400;
// Below this peak-to-noise ratio of the estimated impulse response (dB) the estimate is flagged
// unreliable: the pair barely correlates (a wrong pairing, a gate, a time-varying effect). An
// estimate without a clear onset (alignment.cpp) is unreliable too.
inline constexpr double kMinDelayConfidenceDb = 20.0;

struct DelayEstimate {
  long delay = 0;            // first arrival, in samples
  long peak = 0;             // lag of the impulse response's largest sample (the old estimate)
  double confidence_db = 0;  // the impulse response's peak over its noise floor
  bool clear_onset = false;  // the causal-prediction refinement found the arrival (alignment.cpp)
  bool reliable() const { return clear_onset && confidence_db >= kMinDelayConfidenceDb; }
};

// Estimates the impulse response from input to output over lags [-max_delay, max_delay] (shrunk
// to n / 4 for short signals) by regularised deconvolution: Welch-averaged cross- and
// auto-spectra of the first-differenced signals, H = Sxy / (Sxx + lambda). The chain's
// nonlinearity only adds noise to this best linear fit; its onset stays where the first arrival
// is. The onset rule is in alignment.cpp. Signals too short to measure give {0, 0, 0 dB}.
DelayEstimate estimate_latency(std::span<const float> input, std::span<const float> output,
                               long max_delay = kMaxAutoDelay);

// estimate_latency(...).delay.
long estimate_delay(std::span<const float> input, std::span<const float> output,
                    long max_delay = kMaxAutoDelay);

// Pairs recorded through one chain share one latency: the lower median of the reliable estimates
// (each already errs early; the median ignores strays either way). Estimates more than
// kJointTolerance samples from it, or unreliable, are flagged as outliers. With no reliable
// estimate, the earliest estimate of all is used.
inline constexpr long kJointTolerance = 2;
struct JointDelay {
  long delay = 0;
  std::vector<bool> outlier;  // per estimate: unreliable, or too far from the others
};
JointDelay joint_latency(std::span<const DelayEstimate> estimates);

// "3 (peak 5, 41.2 dB)": an estimate as the dataset summary and warnings print it.
std::string describe(const DelayEstimate& e);

}  // namespace namk
