// Gradient checking for tests: the backward of an op graph against central finite differences,
// using the "fake loss" L = <f(x), g> with a random g so one backward checks the whole
// vector-Jacobian product. L is evaluated in double outside the tape to keep float noise down.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <type_traits>
#include <vector>

#include "base/error.h"
#include "core/ops.h"

namespace namk::test {

constexpr bool kDouble = std::is_same_v<Scalar, double>;
// Step and tolerance per build: tight in double, sized for float rounding in float.
constexpr double kStep = kDouble ? 1e-6 : 1e-2;
constexpr double kTolerance = kDouble ? 1e-7 : 2e-2;

inline Mat random_mat(Index rows, Index cols, std::mt19937_64& rng, double lo = -1, double hi = 1) {
  std::uniform_real_distribution<double> u(lo, hi);
  Mat m(rows, cols);
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(u(rng));
  return m;
}

// Pushes entries away from the kinks of relu-like functions (0, ±1) so finite differences are smooth.
inline Mat away_from_kinks(Mat m, double margin = 0.1) {
  for (Index i = 0; i < m.size(); ++i)
    for (double kink : {-1.0, 0.0, 1.0}) {
      double v = m.data()[i];
      if (std::abs(v - kink) < margin) m.data()[i] = static_cast<Scalar>(kink + (v < kink ? -margin : margin));
    }
  return m;
}

using Graph = std::function<Var(Tape&, const std::vector<Var>&)>;

// Largest mixed error |analytic - numeric| / max(1, |analytic|, |numeric|) over every input entry.
inline double gradcheck(std::vector<Mat> inputs, const Graph& graph, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  Tape tape;
  std::vector<Var> vars;
  for (const Mat& x : inputs) vars.push_back(tape.constant(x, true));
  Var y = graph(tape, vars);
  const Mat g = random_mat(tape.rows(y), tape.cols(y), rng);
  tape.backward(sum(tape, mul(tape, y, tape.constant(g))));
  std::vector<Mat> analytic;
  for (Var v : vars) analytic.push_back(tape.grad(v));

  // One tape for every evaluation: clear() keeps its arena, so thousands of evaluations do not
  // each allocate (and, under ASan, poison) a fresh megabyte-sized chunk.
  Tape t;
  auto loss = [&]() {
    t.clear();
    std::vector<Var> vs;
    for (const Mat& x : inputs) vs.push_back(t.constant(x));
    Var out = graph(t, vs);
    return (t.value(out).template cast<double>().array() * g.template cast<double>().array()).sum();
  };

  double worst = 0;
  for (size_t i = 0; i < inputs.size(); ++i)
    for (Index j = 0; j < inputs[i].size(); ++j) {
      Scalar& x = inputs[i].data()[j];
      const Scalar saved = x;
      x = static_cast<Scalar>(saved + kStep);
      const double up = loss();
      x = static_cast<Scalar>(saved - kStep);
      const double down = loss();
      x = saved;
      const double numeric = (up - down) / (2 * kStep);
      const double a = analytic[i].data()[j];
      worst = std::max(worst, std::abs(a - numeric) / std::max({1.0, std::abs(a), std::abs(numeric)}));
    }
  return worst;
}

}  // namespace namk::test
