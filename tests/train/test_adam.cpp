// Adam against an independent scalar implementation of the published algorithm (Kingma & Ba, with
// PyTorch's eps placement), a closed-form first step, the LR schedule and gradient clipping.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "base/error.h"
#include "train/adam.h"

using namespace namk;

TEST_CASE("adam's first step moves each parameter by lr against the sign of its gradient") {
  Vec p(3), g(3);
  p << 1, -2, 0.5;
  g << 0.3, -4, 1e-3;
  Adam adam(3);
  adam.step(p.data(), g.data(), 0.01);
  // Step 1: m_hat = g, v_hat = g^2, so the update is lr * g / (|g| + eps).
  CHECK(p(0) == doctest::Approx(1 - 0.01).epsilon(1e-6));
  CHECK(p(1) == doctest::Approx(-2 + 0.01).epsilon(1e-6));
  CHECK(p(2) == doctest::Approx(0.5 - 0.01 * 1e-3 / (1e-3 + 1e-8)).epsilon(1e-6));
}

TEST_CASE("adam matches a scalar reference over several steps, with weight decay") {
  const double lr = 0.004, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
  const std::vector<std::vector<double>> grads = {
      {0.5, -0.1}, {0.4, 0.2}, {-0.3, 0.25}, {0.05, -0.6}, {0.2, 0.2}};
  std::vector<double> ref = {0.7, -0.3}, m = {0, 0}, v = {0, 0};
  Vec p(2);
  p << 0.7, -0.3;
  Adam adam(2, AdamConfig{b1, b2, eps, wd});
  for (size_t step = 1; step <= grads.size(); ++step) {
    Vec g(2);
    for (int i = 0; i < 2; ++i) {
      const double gi = grads[step - 1][i];
      g(i) = static_cast<Scalar>(gi);
      ref[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const double m_hat = m[i] / (1 - std::pow(b1, step)), v_hat = v[i] / (1 - std::pow(b2, step));
      ref[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
    adam.step(p.data(), g.data(), lr);
    CHECK(p(0) == doctest::Approx(ref[0]).epsilon(1e-5));
    CHECK(p(1) == doctest::Approx(ref[1]).epsilon(1e-5));
  }
  CHECK(adam.state().steps == 5);
}

TEST_CASE("adam state restores exactly and rejects a state of the wrong size") {
  Vec p = Vec::Constant(4, 0.25), g = Vec::LinSpaced(4, -1, 1);
  Adam a(4), b(4);
  a.step(p.data(), g.data(), 0.01);
  b.set_state(a.state());
  Vec pa = p, pb = p;
  a.step(pa.data(), g.data(), 0.01);
  b.step(pb.data(), g.data(), 0.01);
  CHECK(pa == pb);
  Adam small(3);
  CHECK_THROWS_AS(small.set_state(a.state()), UsageError);
}

TEST_CASE("exponential lr schedule and gradient clipping") {
  CHECK(exponential_lr(0.004, 0.993, 0) == doctest::Approx(0.004));
  CHECK(exponential_lr(0.004, 0.993, 100) == doctest::Approx(0.004 * std::pow(0.993, 100)));
  Vec g(2);
  g << 3, 4;
  CHECK(clip_grad_norm(g.data(), 2, 10) == doctest::Approx(5));
  CHECK(g(0) == doctest::Approx(3));
  CHECK(clip_grad_norm(g.data(), 2, 1) == doctest::Approx(5));
  CHECK(g.norm() == doctest::Approx(1));
  CHECK(g(1) / g(0) == doctest::Approx(4.0 / 3));
}
