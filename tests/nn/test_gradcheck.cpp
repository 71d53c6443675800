// Whole-model gradients against central finite differences on the flat parameter buffer (and on
// the input), with the fake loss L = <y, g>. Built against the double-precision library.
#include <doctest/doctest.h>

#include <cmath>

#include "../core/gradcheck.h"
#include "model_test_util.h"
#include "nn/layers/lstm_op.h"
#include "nn/nam_weight.h"

using namespace namk;
using namespace namk::test;

namespace {
static_assert(std::is_same_v<Scalar, double>, "gradient checks run in the _f64 build");

double fake_loss(const Model& m, const Mat& x, const std::vector<double>& knobs, const Mat& g,
                 Scalar* grad, Mat* dx = nullptr) {
  // One tape, cleared between evaluations: thousands of them otherwise (slow under ASan).
  static Tape t;
  t.clear();
  Var xv = t.constant(x, dx != nullptr);
  Var y = m.forward(t, xv, knobs, grad);
  Var loss = sum(t, mul(t, y, t.constant(g)));
  if (grad || dx) t.backward(loss);
  if (dx) *dx = t.grad(xv);
  return t.value(loss)(0, 0);
}

// Worst relative error over every parameter and every input sample, with finite-difference step h.
double check_model(Model& m, const std::vector<double>& knobs, Index ny, double h = 1e-6) {
  const Mat x = random_signal(m.receptive_field() + ny - 1, 5);
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<double> u(-1, 1);
  Mat g(1, ny);
  for (Index i = 0; i < ny; ++i) g(0, i) = u(rng);
  Vec analytic = Vec::Zero(m.num_params());
  Mat dx;
  fake_loss(m, x, knobs, g, analytic.data(), &dx);
  double worst = 0;
  auto compare = [&](double a, double numeric) {
    worst = std::max(worst, std::abs(a - numeric) / std::max({1.0, std::abs(a), std::abs(numeric)}));
  };
  for (Index i = 0; i < m.num_params(); ++i) {
    const double saved = m.params()[i];
    m.params()[i] = saved + h;
    const double up = fake_loss(m, x, knobs, g, nullptr);
    m.params()[i] = saved - h;
    const double down = fake_loss(m, x, knobs, g, nullptr);
    m.params()[i] = saved;
    compare(analytic[i], (up - down) / (2 * h));
  }
  for (Index i = 0; i < x.cols(); ++i) {
    Mat xp = x, xm = x;
    xp(0, i) += h;
    xm(0, i) -= h;
    compare(dx(0, i), (fake_loss(m, xp, knobs, g, nullptr) - fake_loss(m, xm, knobs, g, nullptr)) / (2 * h));
  }
  return worst;
}
}  // namespace

TEST_CASE("forward accumulates into the gradient buffer") {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  auto m = make_model(c);
  randomise(*m, 2);
  const Mat x = random_signal(m->receptive_field() + 9, 1);
  const Mat g = Mat::Ones(1, 10);
  Vec once = Vec::Zero(m->num_params()), twice = Vec::Zero(m->num_params());
  fake_loss(*m, x, {1.0, 0.0}, g, once.data());
  fake_loss(*m, x, {1.0, 0.0}, g, twice.data());
  fake_loss(*m, x, {1.0, 0.0}, g, twice.data());
  CHECK((twice - 2 * once).cwiseAbs().maxCoeff() < 1e-12);
  CHECK(once.cwiseAbs().maxCoeff() > 0);
}

TEST_CASE("fused LSTM op gradients match finite differences") {
  std::mt19937_64 rng(12);
  const Index in = 2, h = 3, steps = 7;
  const double worst = gradcheck(
      {random_mat(in, steps, rng), random_mat(4 * h, in + h, rng), random_mat(6 * h, 1, rng)},
      [](Tape& t, const std::vector<Var>& v) { return lstm(t, v[0], v[1], v[2]); });
  CHECK(worst < kTolerance);
}

TEST_CASE("NAM-layout weight pack gradient matches finite differences") {
  std::mt19937_64 rng(13);
  const Index out = 3, in = 2, taps = 3;
  Mat raw = random_mat(out * in * taps, 1, rng), x = random_mat(in, 12, rng);
  const double worst = gradcheck({raw, x}, [&](Tape& t, const std::vector<Var>& v) {
    // The raw buffer as a parameter: pack it, convolve, so the pack's backward is exercised.
    Scalar* grad = t.requires_grad(v[0]) ? t.grad(v[0]).data() : nullptr;
    Var w = nam_weight(t, t.value(v[0]).data(), grad, out, in, taps);
    return conv1d(t, v[1], w, Var{}, 2);
  });
  CHECK(worst < kTolerance);
}

namespace {
// Every variant, with random weights and (when it has knobs) gain 8, tone -0.2.
void check_variants(const std::vector<std::pair<std::string, ModelConfig>>& variants) {
  for (const auto& [name, config] : variants) {
    CAPTURE(name);
    auto m = make_model(config);
    randomise(*m, 9, 0.6);
    const std::vector<double> knobs =
        m->knobs().empty() ? std::vector<double>{} : std::vector<double>{8.0, -0.2};
    CHECK(check_model(*m, knobs, 6) < 1e-7);
  }
}
}  // namespace

TEST_CASE("whole models (WaveNet, LSTM, ConvNet, Linear x none/FiLM/concat): gradients match finite differences") {
  check_variants(all_variants());
}

TEST_CASE("ToneStackWaveNet: gradients (stages, tone stack controls, FiLM network, input) match finite differences") {
  // A larger step than the other models': the recursive sections' resonances amplify the loss's
  // rounding, which the difference quotient divides by h. Scanned over h on ten seeds, the error
  // falls as h^2 down to about 3e-5 and grows as 1/h below it (at 1e-6 it reached 3.2e-7 on one
  // seed); at 3e-5 every seed stayed under 1.2e-8, so a missing term of the backward cannot hide
  // under the bound.
  const double h = 3e-5;
  auto m = make_model(tiny_tone_stack_wavenet());
  randomise(*m, 6, 0.6);
  CHECK(check_model(*m, {8.0, -0.2}, 40, h) < 5e-8);
  ModelConfig fixed = tiny_tone_stack_wavenet();
  fixed.knobs.clear();  // the controls are parameters
  auto f = make_model(fixed);
  randomise(*f, 6, 0.6);
  CHECK(check_model(*f, {}, 40, h) < 5e-8);
  ModelConfig unmodulated = tiny_tone_stack_wavenet();
  unmodulated.tone_stack_wavenet.knobs_in_post = false;
  auto u = make_model(unmodulated);
  randomise(*u, 6, 0.6);
  CHECK(check_model(*u, {3.0, 0.4}, 40, h) < 5e-8);
  ModelConfig routed = tiny_tone_stack_wavenet();  // knob routing: gain to the first stage only, tone to the tone stack
  routed.film.separable = true;
  routed.tone_stack_wavenet.knob_routing.pre = std::vector<std::string>{"gain"};
  routed.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"tone"}};
  auto r = make_model(routed);
  randomise(*r, 6, 0.6);
  CHECK(check_model(*r, {3.0, 0.4}, 40, h) < 5e-8);
  // Per section, the knobs moving only the sections' gains (the frequency and Q rows are constants).
  routed.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"tone"}, {"gain"}, {}};
  routed.tone_stack_wavenet.knob_routing.tone_stack_moves = std::vector<std::string>{"gain"};
  auto sections = make_model(routed);
  randomise(*sections, 6, 0.6);
  CHECK(check_model(*sections, {3.0, 0.4}, 40, h) < 5e-8);
}

TEST_CASE("WaveNet with NAM 0.6's layer options (the general layer's tape ops): gradients match finite differences") {
  check_variants(wavenet_06_variants());
}
