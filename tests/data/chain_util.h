// Synthetic recording chains with known latency for the alignment tests: RBJ cookbook biquads
// (high-pass, low-pass, shelves, peak, all-pass) around tanh drive stages, run in double, then
// delayed by whole samples. Strong phase shifts put the correlation peak after the first arrival.
#pragma once

#include <cmath>
#include <vector>

#include "data/biquad.h"

namespace namk::test {

enum class Chain { drive, high_pass, tone_stack, all_pass, cab };
inline const char* chain_name(Chain c) {
  const char* names[] = {"tanh drive", "high-pass + drive", "tone stack between drives",
                         "all-pass chain + drive", "drive + cab low-pass"};
  return names[static_cast<int>(c)];
}
// y[t] = chain(x)[t - latency] (zeros before; negative latency: the output leads).
inline std::vector<float> chain_output(const std::vector<float>& x, Chain chain, long latency) {
  using T = BiquadKind;
  std::vector<SampleBiquad> pre, post;
  double drive = 2, level = 0.35;  // peaks stay below full scale (all-passes overshoot)
  switch (chain) {
    case Chain::drive:
      break;
    case Chain::high_pass:
      pre = {biquad(T::HighPass, 400, 0.7)};
      post = {biquad(T::HighPass, 120, 1.2)};
      drive = 6;
      break;
    case Chain::tone_stack:
      post = {biquad(T::LowShelf, 120, 0.7, 10), biquad(T::Peak, 600, 0.8, -14),
              biquad(T::HighShelf, 3000, 0.7, 9)};
      pre = {biquad(T::HighPass, 80, 0.7)};
      drive = 8;
      break;
    case Chain::all_pass:
      pre = {biquad(T::AllPass, 200, 0.7), biquad(T::AllPass, 1000, 1.5)};
      post = {biquad(T::AllPass, 3000, 0.7), biquad(T::AllPass, 700, 2)};
      drive = 3;
      break;
    case Chain::cab:
      post = {biquad(T::LowPass, 5000, 0.9), biquad(T::HighPass, 70, 0.7)};
      drive = 5;
      break;
  }
  std::vector<double> y(x.size());
  for (size_t t = 0; t < x.size(); ++t) {
    double v = x[t];
    for (auto& f : pre) v = f(v);
    v = std::tanh(drive * v);
    if (chain == Chain::tone_stack) v = std::tanh(2 * v);  // tone stack between two drive stages
    for (auto& f : post) v = f(v);
    if (chain == Chain::tone_stack) v = std::tanh(1.5 * v);
    y[t] = level * v;
  }
  std::vector<float> out(x.size(), 0.0f);
  for (long t = 0; t < static_cast<long>(x.size()); ++t) {
    const long s = t - latency;
    if (s >= 0 && s < static_cast<long>(x.size())) out[t] = static_cast<float>(y[s]);
  }
  return out;
}
}  // namespace namk::test
