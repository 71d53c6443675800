// See tone_stack.h.
#include "nn/layers/tone_stack.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/error.h"

namespace namk {

namespace {

// value = middle * ratio^(tanh(r) / 2) and its derivative with respect to r.
struct Mapped {
  double value, derivative;
};
Mapped geometric(double r, double lo, double hi) {
  const double t = std::tanh(r), half_log = 0.5 * std::log(hi / lo);
  const double value = std::sqrt(lo * hi) * std::exp(half_log * t);
  return {value, value * half_log * (1 - t * t)};
}

}  // namespace

namespace {
// Section s's design inputs (gain in dB, frequency, Q) at these controls, with their derivatives.
struct SectionInputs {
  Mapped gain, freq, q;
};
SectionInputs section_inputs(const ToneStackConfig& c, size_t s, const Scalar* controls) {
  const ToneStackSection& section = c.sections[s];
  const double r_gain = controls[3 * s], r_freq = controls[3 * s + 1], r_q = controls[3 * s + 2];
  const double t = std::tanh(r_gain);
  return {{c.max_gain_db * t, c.max_gain_db * (1 - t * t)}, geometric(r_freq, section.min_hz, section.max_hz),
          geometric(r_q, c.min_q, c.max_q)};
}
}  // namespace

ToneSectionSetting tone_section_setting(const ToneStackConfig& c, size_t s, const Scalar* controls) {
  const auto [gain, freq, q] = section_inputs(c, s, controls);
  return {c.sections[s].kind, gain.value, freq.value, q.value};
}

BiquadDesign design_tone_section(const ToneStackConfig& c, size_t s, const Scalar* controls) {
  const auto [gain, freq, q] = section_inputs(c, s, controls);
  BiquadDesign d = design_biquad(c.sections[s].kind, gain.value, freq.value, q.value, c.sample_rate);
  // d/d(control) = d/d(design input) * d(design input)/d(control), input by input.
  for (auto& row : d.d) {
    row[0] *= gain.derivative;
    row[1] *= freq.derivative;
    row[2] *= q.derivative;
  }
  return d;
}

// Saved for backward, one column per section: the five coefficients, then their 5 x 3 derivatives
// with respect to the section's controls (coefficient-major).
constexpr Index kSavedPerSection = 5 + 15;

Var tone_stack(Tape& t, Var x, Var controls, const ToneStackConfig& c) {
  const Index sections = static_cast<Index>(c.sections.size()), n = t.cols(x);
  if (t.rows(x) != 1)
    throw UsageError("tone_stack: expected x of shape (1, T), found (" + std::to_string(t.rows(x)) + ", " +
                     std::to_string(n) + ")");
  if (t.rows(controls) != c.controls() || t.cols(controls) != 1)
    throw UsageError("tone_stack: expected controls of shape (" + std::to_string(c.controls()) + ", 1), found (" +
                     std::to_string(t.rows(controls)) + ", " + std::to_string(t.cols(controls)) + ")");
  const bool grad = t.requires_grad(x) || t.requires_grad(controls);
  // Each section's output is a contiguous column of `signals`; y is the last one, copied out.
  const Var signals = t.output(n, std::max<Index>(sections, 1), false);
  const Var saved = t.output(kSavedPerSection, std::max<Index>(sections, 1), false);
  const Var y = t.output(1, n, grad);
  const Scalar* in = t.value(x).data();
  for (Index s = 0; s < sections; ++s) {
    const BiquadDesign d = design_tone_section(c, static_cast<size_t>(s), t.value(controls).data());
    MatMap keep = t.value(saved);
    const Biquad& f = d.filter;
    const double coefficients[5] = {f.b0, f.b1, f.b2, f.a1, f.a2};
    for (Index k = 0; k < 5; ++k) {
      keep(k, s) = static_cast<Scalar>(coefficients[k]);
      for (Index j = 0; j < 3; ++j) keep(5 + 3 * k + j, s) = static_cast<Scalar>(d.d[static_cast<size_t>(k)][static_cast<size_t>(j)]);
    }
    Scalar* out = t.value(signals).col(s).data();
    BiquadState zero;
    biquad_forward(f, in, out, n, zero);
    in = out;
  }
  if (sections > 0)
    t.value(y).row(0) = t.value(signals).col(sections - 1).transpose();
  else
    t.value(y) = t.value(x);
  if (!grad) return y;

  OpRecord r;
  r.out = y;
  r.in[0] = x;
  r.in[1] = controls;
  r.more[0] = signals;
  r.more[1] = saved;
  r.ints[0] = sections;
  r.backward = [](Tape& t, const OpRecord& r) {
    const Var x = r.in[0], controls = r.in[1];
    const Index sections = r.ints[0], n = t.cols(x);
    const ConstMatMap signals = static_cast<const Tape&>(t).value(r.more[0]);
    const ConstMatMap saved = static_cast<const Tape&>(t).value(r.more[1]);
    // g: the gradient at the current section's output, walked from the last section to the first.
    thread_local std::vector<Scalar> g, g_in;
    g.assign(t.grad(r.out).data(), t.grad(r.out).data() + n);
    for (Index s = sections - 1; s >= 0; --s) {
      const Biquad f{saved(0, s), saved(1, s), saved(2, s), saved(3, s), saved(4, s)};
      const Scalar* in = s > 0 ? signals.col(s - 1).data() : t.value(x).data();
      const bool need_input_grad = s > 0 || t.requires_grad(x);
      g_in.assign(static_cast<size_t>(n), Scalar(0));
      const std::array<double, 5> dcoef =
          biquad_backward(f, in, signals.col(s).data(), g.data(), need_input_grad ? g_in.data() : nullptr, n);
      if (t.requires_grad(controls)) {
        MatMap dc = t.grad(controls);
        for (Index j = 0; j < 3; ++j) {
          double sum = 0;
          for (Index k = 0; k < 5; ++k) sum += dcoef[static_cast<size_t>(k)] * saved(5 + 3 * k + j, s);
          dc(3 * s + j, 0) += static_cast<Scalar>(sum);
        }
      }
      g.swap(g_in);
    }
    if (t.requires_grad(x)) {
      MatMap dx = t.grad(x);
      for (Index i = 0; i < n; ++i) dx(0, i) += g[static_cast<size_t>(i)];
    }
  };
  t.record(r);
  return y;
}

void ToneStackStream::prepare(const ToneStackConfig& config) {
  filters_.assign(config.sections.size(), Biquad{});
  states_.assign(config.sections.size(), BiquadState{});
  // NaN equals no control value, so the first block designs the sections.
  designed_for_.assign(static_cast<size_t>(config.controls()), std::numeric_limits<Scalar>::quiet_NaN());
}

void ToneStackStream::reset() noexcept { std::fill(states_.begin(), states_.end(), BiquadState{}); }

void ToneStackStream::process(const ToneStackConfig& config, const Scalar* controls, const Scalar* in,
                              Scalar* out, Index n) noexcept {
  if (!std::equal(designed_for_.begin(), designed_for_.end(), controls)) {
    for (size_t s = 0; s < filters_.size(); ++s) {
      // Streaming never differentiates: the value-only design.
      const auto [gain, freq, q] = section_inputs(config, s, controls);
      filters_[s] = design_biquad_filter(config.sections[s].kind, gain.value, freq.value, q.value, config.sample_rate);
    }
    std::copy(controls, controls + designed_for_.size(), designed_for_.begin());
  }
  if (filters_.empty()) {
    std::copy(in, in + n, out);
    return;
  }
  for (size_t s = 0; s < filters_.size(); ++s) biquad_forward(filters_[s], s == 0 ? in : out, out, n, states_[s]);
}

}  // namespace namk
