// Shared by the reference evaluator's tests: fixture paths, a file's flat weights read with the
// runtime's own JSON reader (independent of the reference's), and test signals.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "base/json.h"

namespace namk::test {

inline const std::string kNam05 = std::string(NAMK_FIXTURES_DIR) + "/nam/";
inline const std::string kNam07 = std::string(NAMK_FIXTURES_DIR) + "/nam_models/";

inline std::vector<double> flat_weights(const Json& model) {
  std::vector<double> w;
  for (const Json& v : model["weights"].items()) w.push_back(static_cast<float>(v.number()));
  return w;
}

// A guitar-like test signal: a decaying chord plus a little noise, amplitude below 1.
inline std::vector<double> test_signal(size_t n, unsigned seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> noise(-0.05, 0.05);
  std::vector<double> x(n);
  for (size_t t = 0; t < n; ++t) {
    const double s = static_cast<double>(t) / 48000.0;
    x[t] = 0.6 * std::exp(-3 * s) *
               (std::sin(2 * M_PI * 110 * s) + 0.5 * std::sin(2 * M_PI * 165 * s)) +
           noise(rng);
  }
  return x;
}

inline double max_abs(const std::vector<double>& y) {
  double m = 0;
  for (double v : y) m = std::max(m, std::fabs(v));
  return m;
}

inline double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace namk::test
