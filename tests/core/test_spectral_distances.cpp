// The MRSTFT loss's two distances between magnitudes (core/spectral_ops.h): each against the
// composition of elementary ops it replaces, value and gradient; the log distance against finite
// differences too, the error energy (whose gradient is by design half its value's) against the
// error itself; shapes that differ are rejected by name.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "core/spectral_ops.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {

// Positive (bins, frames) magnitudes, y_hat kept at least 5% away from y in either direction so
// finite differences never cross the kink at y_hat = y.
std::pair<Mat, Mat> magnitudes(Index bins, Index frames, std::mt19937_64& rng) {
  Mat y = random_mat(bins, frames, rng, 0.05, 2.0), y_hat = y;
  std::uniform_real_distribution<double> ratio(1.05, 1.6);
  std::bernoulli_distribution above(0.5);
  for (Index i = 0; i < y.size(); ++i) {
    const double r = ratio(rng);
    y_hat.data()[i] = static_cast<Scalar>(above(rng) ? y.data()[i] * r : y.data()[i] / r);
  }
  return {y_hat, y};
}

// Value and both gradients of f(y_hat, y) (1x1) on a tape, with both inputs tracked.
struct Result {
  double value;
  Mat d_y_hat, d_y;
};
template <typename F>
Result evaluate(const Mat& y_hat, const Mat& y, F f) {
  Tape t;
  Var a = t.constant(y_hat, true), b = t.constant(y, true);
  Var out = f(t, a, b);
  t.backward(out);
  return {static_cast<double>(t.value(out)(0, 0)), t.grad(a), t.grad(b)};
}

const double kTol = kDouble ? 1e-12 : 2e-5;

}  // namespace

TEST_CASE("log_magnitude_distance equals mean|log y - log y_hat|, value and gradient") {
  std::mt19937_64 rng(53);
  for (auto [bins, frames] : {std::pair<Index, Index>{1, 1}, {5, 3}, {33, 17}}) {
    CAPTURE(bins);
    CAPTURE(frames);
    const auto [y_hat, y] = magnitudes(bins, frames, rng);
    const Result fused = evaluate(y_hat, y, [](Tape& t, Var a, Var b) { return log_magnitude_distance(t, a, b); });
    const Result composed =
        evaluate(y_hat, y, [](Tape& t, Var a, Var b) { return mean(t, abs(t, sub(t, log(t, b), log(t, a)))); });
    CHECK(fused.value == doctest::Approx(composed.value).epsilon(kTol * 10));
    CHECK((fused.d_y_hat - composed.d_y_hat).cwiseAbs().maxCoeff() < kTol * (1 + composed.d_y_hat.cwiseAbs().maxCoeff()));
    CHECK((fused.d_y - composed.d_y).cwiseAbs().maxCoeff() < kTol * (1 + composed.d_y.cwiseAbs().maxCoeff()));
    // And against finite differences, both inputs (the step stays inside the 5% margin).
    CHECK(gradcheck({y_hat, y}, [](Tape& t, const std::vector<Var>& v) {
            return log_magnitude_distance(t, v[0], v[1]);
          }) < kTolerance);
  }
  // Equal magnitudes: distance 0 and no gradient (sign(0) = 0, as PyTorch's abs).
  const Mat same = Mat::Constant(4, 3, Scalar(0.5));
  const Result zero = evaluate(same, same, [](Tape& t, Var a, Var b) { return log_magnitude_distance(t, a, b); });
  CHECK(zero.value == 0);
  CHECK(zero.d_y_hat.cwiseAbs().maxCoeff() == 0);
  CHECK(zero.d_y.cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("frozen_error_energy is ||y_hat - y||^2 with the gradient of <E, stop_gradient(E)>") {
  std::mt19937_64 rng(59);
  for (auto [bins, frames] : {std::pair<Index, Index>{1, 1}, {5, 3}, {33, 17}}) {
    CAPTURE(bins);
    CAPTURE(frames);
    const auto [y_hat, y] = magnitudes(bins, frames, rng);
    const Result fused = evaluate(y_hat, y, [](Tape& t, Var a, Var b) { return frozen_error_energy(t, a, b); });
    // The composition it replaces: the error times a constant copy of itself, summed.
    const Result composed = evaluate(y_hat, y, [](Tape& t, Var a, Var b) {
      Var error = sub(t, a, b);
      return sum(t, mul(t, error, t.constant(t.value(error))));
    });
    const Mat error = y_hat - y;
    CHECK(fused.value == doctest::Approx(error.squaredNorm()).epsilon(kTol * 10));
    CHECK(fused.value == doctest::Approx(composed.value).epsilon(kTol * 10));
    CHECK((fused.d_y_hat - error).cwiseAbs().maxCoeff() < kTol);
    CHECK((fused.d_y + error).cwiseAbs().maxCoeff() < kTol);
    CHECK((fused.d_y_hat - composed.d_y_hat).cwiseAbs().maxCoeff() < kTol);
    CHECK((fused.d_y - composed.d_y).cwiseAbs().maxCoeff() < kTol);
  }
}

TEST_CASE("the distances of untracked magnitudes record nothing, and shapes that differ are rejected") {
  Tape t;
  Var a = t.constant(Mat::Ones(3, 2)), b = t.constant(Mat::Ones(3, 2)), c = t.constant(Mat::Ones(2, 3));
  Var d = log_magnitude_distance(t, a, b), e = frozen_error_energy(t, a, b);
  CHECK(!t.requires_grad(d));
  CHECK(!t.requires_grad(e));
  CHECK_THROWS_WITH_AS(log_magnitude_distance(t, a, c),
                       doctest::Contains("log_magnitude_distance: y_hat (3, 2) and y (2, 3) differ in shape"), UsageError);
  CHECK_THROWS_WITH_AS(frozen_error_energy(t, c, a),
                       doctest::Contains("frozen_error_energy: y_hat (2, 3) and y (3, 2) differ in shape"), UsageError);
}
