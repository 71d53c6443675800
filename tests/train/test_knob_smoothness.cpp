// The knob-smoothness term: its value against the model's outputs at the three settings computed
// separately, zero where the knobs do nothing, and its parameter gradient against finite
// differences (double build).
#include <doctest/doctest.h>

#include <cmath>

#include "../nn/model_test_util.h"
#include "train/knob_smoothness.h"

using namespace namk;
using namespace namk::test;

namespace {

std::unique_ptr<Model> film_model() {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  c.film.hidden = 3;
  return make_model(c);
}

std::vector<float> float_signal(Index n, uint64_t seed) {
  const Mat x = random_signal(n, seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(x(0, i));
  return v;
}

double curvature_value(const Model& m, const std::vector<float>& x, const std::vector<double>& knobs, Index axis,
                       double step, Index window, Scalar* grad = nullptr) {
  Tape t;
  Var input = t.output(1, static_cast<Index>(x.size()), false);
  for (Index i = 0; i < t.cols(input); ++i) t.value(input)(0, i) = static_cast<Scalar>(x[static_cast<size_t>(i)]);
  Var centre = m.forward(t, input, knobs, grad);
  Var c = knob_curvature(t, m, x, centre, knobs, axis, step, window, grad);
  if (grad) t.backward(c);
  return static_cast<double>(t.value(c)(0, 0));
}

}  // namespace

TEST_CASE("knob curvature is the mean squared second difference of the outputs along one knob") {
  auto m = film_model();
  randomise(*m, 7);
  const Index nx = m->receptive_field();
  const std::vector<float> x = float_signal(nx - 1 + 200, 3);
  const std::vector<double> knobs = {4.0, 0.25};
  const double step = 0.1;
  const Index window = 50;
  // tone's range is [-1, 1]: h = 0.2.
  Mat in(1, nx - 1 + window);
  for (Index i = 0; i < in.cols(); ++i) in(0, i) = static_cast<Scalar>(x[static_cast<size_t>(i)]);
  const Mat y0 = graph_output(*m, in, knobs), yu = graph_output(*m, in, {4.0, 0.45}),
            yd = graph_output(*m, in, {4.0, 0.05});
  REQUIRE(y0.cols() == window);
  double expected = 0;
  for (Index i = 0; i < window; ++i) {
    const double d = static_cast<double>(yu(0, i) + yd(0, i) - 2 * y0(0, i));
    expected += d * d;
  }
  expected /= static_cast<double>(window);
  CHECK(expected > 0);
  CHECK(curvature_value(*m, x, knobs, 1, step, window) == doctest::Approx(expected).epsilon(1e-9));
  // A window longer than the item uses what there is.
  CHECK(curvature_value(*m, x, knobs, 0, step, 100000) > 0);

  // Freshly initialised FiLM is the identity: the knobs do nothing, so nothing curves.
  m->init_params(1);
  CHECK(curvature_value(*m, x, knobs, 0, step, window) == 0);
  CHECK_THROWS_AS(curvature_value(*m, x, knobs, 2, step, window), UsageError);
}

TEST_CASE("knob curvature's parameter gradient matches finite differences") {
  auto m = film_model();
  randomise(*m, 19, 0.4);
  const std::vector<float> x = float_signal(m->receptive_field() - 1 + 24, 5);
  const std::vector<double> knobs = {6.0, -0.4};
  Vec grad = Vec::Zero(m->num_params());
  curvature_value(*m, x, knobs, 0, 0.15, 24, grad.data());
  double worst = 0;
  // Every conditioner parameter and a spread of the architecture's.
  for (Index p = 0; p < m->num_params(); p += (p >= m->architecture_params() ? 1 : 7)) {
    const Scalar keep = m->params()[p];
    const double eps = 1e-6;
    m->params()[p] = keep + static_cast<Scalar>(eps);
    const double hi = curvature_value(*m, x, knobs, 0, 0.15, 24);
    m->params()[p] = keep - static_cast<Scalar>(eps);
    const double lo = curvature_value(*m, x, knobs, 0, 0.15, 24);
    m->params()[p] = keep;
    const double numeric = (hi - lo) / (2 * eps), analytic = static_cast<double>(grad[p]);
    worst = std::max(worst, std::abs(numeric - analytic) / std::max(1.0, std::abs(numeric)));
  }
  CHECK(worst < 1e-6);
}
