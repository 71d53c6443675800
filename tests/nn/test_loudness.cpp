// Loudness (nn/loudness.h) against answers computed here from the standard input alone: a
// one-tap Linear model with gain g and bias c outputs g x + c, so its loudness and NAM's gain
// measure follow from that signal; a knob model's are its baked setting's.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "model_test_util.h"
#include "nn/loudness.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("loudness: the standard input is four notes of 0.75 s at any rate, below full scale") {
  for (double rate : {44100.0, 48000.0}) {
    const Mat x = loudness_input(rate);
    CHECK(x.cols() == 4 * std::lround(0.75 * rate));
    CHECK(x.cwiseAbs().maxCoeff() < 1);
    CHECK(x.cwiseAbs().maxCoeff() > 0.3);
    CHECK(x(0, 0) == 0);  // each note starts at phase 0
  }
}

TEST_CASE("loudness: a Linear model with known gain and offset") {
  struct Case {
    double g, c;
  };
  for (const Case& k : {Case{0.5, 0.0}, Case{2.0, 0.0}, Case{-0.7, 0.01}}) {
    const double g = k.g, c = k.c;
    CAPTURE(g);
    CAPTURE(c);
    const std::string text = R"({"version": "0.5.4", "architecture": "Linear", "config": {"receptive_field": 1,
        "bias": true}, "weights": [)" + std::to_string(g) + ", " + std::to_string(c) + R"(], "sample_rate": 48000})";
    const LoadedModel m = model_from_json(text, "linear.nam");
    const Mat x = loudness_input(48000);
    double sum = 0;
    for (Index t = 0; t < x.cols(); ++t) {
      const double y = g * static_cast<double>(x(0, t)) + c;
      sum += y * y;
    }
    const double expected = 20 * std::log10(std::sqrt(sum / static_cast<double>(x.cols())));
    CHECK(model_loudness(*m.model) == doctest::Approx(expected).epsilon(1e-5));
    // gain: the output RMS at input gains a = 0, 0.1, ..., 1 summed, placed between half of 11
    // times the top RMS (0) and 11 times it (1). Without a bias the level is proportional: 0.
    double rms_sum = 0, top = 0;
    for (int i = 0; i <= 10; ++i) {
      double s2 = 0;
      for (Index t = 0; t < x.cols(); ++t) {
        const double y = g * (i / 10.0) * static_cast<double>(x(0, t)) + c;
        s2 += y * y;
      }
      top = std::sqrt(s2 / static_cast<double>(x.cols()));
      rms_sum += top;
    }
    const double gain = std::clamp((rms_sum - 5.5 * top) / (5.5 * top), 0.0, 1.0);
    CHECK(model_gain(*m.model) == doctest::Approx(gain).epsilon(1e-4));
    if (c == 0) CHECK(model_gain(*m.model) == doctest::Approx(0).epsilon(1e-5));
    if (c != 0) CHECK(model_gain(*m.model) > 0.01);
  }
}

TEST_CASE("loudness: a knob model's at a setting is its baked model's, and defaults are the default") {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  auto m = make_model(c);
  randomise(*m, 11);
  const Vec before = m->params();
  std::vector<double> defaults, other;
  for (const KnobSpec& k : c.knobs) {
    defaults.push_back(k.default_value);
    other.push_back(k.min + 0.8 * (k.max - k.min));
  }
  const double at_defaults = model_loudness(*m);
  CHECK(at_defaults == doctest::Approx(model_loudness(*m->baked(defaults))).epsilon(1e-4));
  CHECK(model_loudness(*m, other) == doctest::Approx(model_loudness(*m->baked(other))).epsilon(1e-4));
  CHECK(std::abs(model_loudness(*m, other) - at_defaults) > 0.01);
  CHECK(model_gain(*m, other) == doctest::Approx(model_gain(*m->baked(other))).epsilon(1e-4));
  CHECK(m->params() == before);
}
