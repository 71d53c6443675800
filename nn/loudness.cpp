// See loudness.h. The input is defined by formula so that any rate can be made exactly.
#include "nn/loudness.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace namk {

Mat loudness_input(double sample_rate) {
  // Each note: a sawtooth-like sum of six harmonics (amplitude 1/k) under an exp(-3 t) decay,
  // peak 0.40 and RMS -19.9 dBFS: a guitar DI's level and spectrum, roughly.
  constexpr double kNotesHz[] = {82.41, 110.0, 146.83, 196.0};
  constexpr double kNoteSeconds = 0.75;
  const Index per_note = static_cast<Index>(std::lround(kNoteSeconds * sample_rate));
  Mat x(1, 4 * per_note);
  for (Index n = 0; n < 4; ++n)
    for (Index i = 0; i < per_note; ++i) {
      const double t = static_cast<double>(i) / sample_rate;
      double v = 0;
      for (int k = 1; k <= 6; ++k) v += std::sin(2 * std::numbers::pi * k * kNotesHz[n] * t) / k;
      x(0, n * per_note + i) = static_cast<Scalar>(0.25 * std::exp(-3 * t) * v);
    }
  return x;
}

namespace {

// The knob values given, or the defaults when none are.
std::vector<double> setting(const Model& model, std::span<const double> knob_values) {
  if (!knob_values.empty() || model.knobs().empty()) return {knob_values.begin(), knob_values.end()};
  std::vector<double> defaults;
  for (const KnobSpec& k : model.knobs()) defaults.push_back(k.default_value);
  return defaults;
}

// Output RMS for the standard input times each of gains, on a copy of model at knob_values, each
// from a reset and pre-warmed start.
std::vector<double> output_rms(const Model& model, std::span<const double> knob_values,
                               const std::vector<double>& gains) {
  const std::unique_ptr<Model> m = make_model(model.config());
  m->params() = model.params();
  const std::vector<double> knobs = setting(model, knob_values);
  for (size_t k = 0; k < knobs.size(); ++k) m->set_knob(static_cast<Index>(k), knobs[k]);
  constexpr int kBlock = 4096;
  m->prepare(kBlock);
  const Mat input = loudness_input(model.sample_rate());
  Mat x(1, input.cols()), y(1, input.cols());
  std::vector<double> rms;
  for (double gain : gains) {
    x = input * static_cast<Scalar>(gain);
    m->reset();
    m->prewarm();
    m->process(x.data(), y.data(), static_cast<int>(x.cols()));
    double sum = 0;
    for (Index t = 0; t < y.cols(); ++t) sum += static_cast<double>(y(0, t)) * y(0, t);
    rms.push_back(std::sqrt(sum / static_cast<double>(y.cols())));
  }
  return rms;
}

}  // namespace

double model_loudness(const Model& model, std::span<const double> knob_values) {
  return 20 * std::log10(output_rms(model, knob_values, {1.0})[0]);
}

double model_loudness(const Model& model) { return model_loudness(model, {}); }

double model_gain(const Model& model, std::span<const double> knob_values) {
  std::vector<double> gains;
  for (int i = 0; i <= 10; ++i) gains.push_back(i / 10.0);
  const std::vector<double> rms = output_rms(model, knob_values, gains);
  const double top = rms.back() * static_cast<double>(rms.size());  // flat at the top level
  const double proportional = 0.5 * top;
  double sum = 0;
  for (double r : rms) sum += r;
  if (!(top > 0)) return 0;
  return std::clamp((sum - proportional) / (top - proportional), 0.0, 1.0);
}

}  // namespace namk
