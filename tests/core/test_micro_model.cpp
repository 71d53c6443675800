// A micro model end to end: conv -> tanh -> FiLM -> conv -> MSE, with every parameter a view into
// one flat buffer, checked against finite differences on that buffer.
#include <doctest/doctest.h>

#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("micro model (2 convs, tanh, FiLM, MSE) gradients match finite differences") {
  std::mt19937_64 rng(29);
  const Index c = 4, taps = 3, len = 40;
  // Flat layout: w1 (c, 3*1), b1 (c,1), gamma (c,1), beta (c,1), w2 (1, 3*c), b2 (1,1)
  const Index sizes[] = {c * taps, c, c, c, taps * c, 1};
  Index total = 0;
  for (Index s : sizes) total += s;
  Mat params = random_mat(total, 1, rng, -0.7, 0.7);
  const Mat x = random_mat(1, len, rng), target = random_mat(1, len - 2 * 2 - 2 * 1, rng);

  Tape t;  // reused: clear() keeps the arena between evaluations
  auto loss_of = [&](const Mat& p, Scalar* grad) {
    t.clear();
    Mat p_copy = p;  // the tape reads parameters in place
    Scalar* v = p_copy.data();
    Scalar* g = grad;
    auto param = [&](Index rows, Index cols) {
      Var var = t.parameter(v, g, rows, cols);
      v += rows * cols;
      if (g) g += rows * cols;
      return var;
    };
    Var w1 = param(c, taps), b1 = param(c, 1), gamma = param(c, 1), beta = param(c, 1),
        w2 = param(1, taps * c), b2 = param(1, 1);
    Var h = tanh(t, conv1d(t, t.constant(x), w1, b1, 2));
    h = film(t, h, gamma, beta);
    Var y = conv1d(t, h, w2, b2, 1);
    Var loss = mean(t, square(t, sub(t, y, t.constant(target))));
    if (grad) t.backward(loss);
    return static_cast<double>(t.value(loss)(0, 0));
  };

  Mat analytic = Mat::Zero(total, 1);
  loss_of(params, analytic.data());
  double worst = 0;
  for (Index i = 0; i < total; ++i) {
    Mat up = params, down = params;
    up(i, 0) += static_cast<Scalar>(kStep);
    down(i, 0) -= static_cast<Scalar>(kStep);
    const double numeric = (loss_of(up, nullptr) - loss_of(down, nullptr)) / (2 * kStep);
    worst = std::max(worst, std::abs(analytic(i, 0) - numeric) /
                                std::max({1.0, std::abs(double(analytic(i, 0))), std::abs(numeric)}));
  }
  CHECK(worst < kTolerance);
}
