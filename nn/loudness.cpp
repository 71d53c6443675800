// See loudness.h. The input is defined by formula so that any rate can be made exactly.
#include "nn/loudness.h"

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

double model_loudness(const Model& model, std::span<const double> knob_values) {
  const std::unique_ptr<Model> m = make_model(model.config());
  m->params() = model.params();
  for (size_t k = 0; k < knob_values.size(); ++k) m->set_knob(static_cast<Index>(k), knob_values[k]);
  constexpr int kBlock = 4096;
  m->prepare(kBlock);
  m->reset();
  m->prewarm();
  const Mat x = loudness_input(model.sample_rate());
  Mat y(1, x.cols());
  m->process(x.data(), y.data(), static_cast<int>(x.cols()));
  double sum = 0;
  for (Index t = 0; t < y.cols(); ++t) sum += static_cast<double>(y(0, t)) * y(0, t);
  return 20 * std::log10(std::sqrt(sum / static_cast<double>(y.cols())));
}

double model_loudness(const Model& model) {
  std::vector<double> defaults;
  for (const KnobSpec& k : model.knobs()) defaults.push_back(k.default_value);
  return model_loudness(model, defaults);
}

}  // namespace namk
