// Baking: a knob WaveNet frozen at a setting equals the knob model at that setting, and model
// files round-trip bit-identically (plain NAM and knob variant alike).
#include <doctest/doctest.h>

#include "model_test_util.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;


TEST_CASE("a baked WaveNet equals the knob model at the baked setting") {
  const Mat x = random_signal(400, 3);
  const std::vector<double> knobs = {7.5, -0.25};
  for (bool gated : {false, true})
    for (int variant = 0; variant < 4; ++variant) {
      ModelConfig c = tiny_wavenet(gated);
      c.knobs = two_knobs();
      c.conditioning = variant == 3 ? Conditioning::Concat : Conditioning::Film;
      c.film.shift = variant != 1;
      c.film.head = variant == 2;
      if (c.film.head) c.wavenet.layers[0].head_bias = true;  // where the head's beta is folded
      CAPTURE(gated);
      CAPTURE(variant);
      auto m = make_model(c);
      randomise(*m, 11 + variant);
      auto plain = m->baked(knobs);
      CHECK(plain->knobs().empty());
      CHECK(plain->num_params() == plain->architecture_params());
      const Mat want = graph_output(*m, x, knobs), got = graph_output(*plain, x, {});
      CHECK((want - got).cwiseAbs().maxCoeff() < 1e-5);
    }
}

TEST_CASE("baking refuses what NAM's format cannot hold, and non-WaveNet knob models") {
  ModelConfig c = tiny_wavenet();
  c.wavenet.layers[0].head_bias = false;
  c.knobs = two_knobs();
  c.film.head = true;
  auto m = make_model(c);
  const std::vector<double> knobs = {1, 0};
  CHECK_THROWS_WITH_AS(m->baked(knobs), doctest::Contains("without head_bias"), UsageError);
  ModelConfig l = tiny_lstm();
  l.knobs = two_knobs();
  CHECK_THROWS_WITH_AS(make_model(l)->baked(knobs), doctest::Contains("LSTM"), UsageError);
}

TEST_CASE("model files round-trip bit-identically, plain and with knobs") {
  for (bool knobs : {false, true}) {
    ModelConfig c = tiny_wavenet();
    if (knobs) c.knobs = two_knobs();
    auto m = make_model(c);
    randomise(*m, 5);
    ModelMetadata md;
    md.name = "round trip";
    md.validation_esr = 0.0123;
    // A fixed date: an empty one is written as "now", and the two writes below may fall in
    // different seconds.
    md.date = "2026-12-04T12:00:00";
    const std::string text = model_to_json(*m, md);
    CHECK(text.find(knobs ? "\"KnobWaveNet\"" : "\"WaveNet\"") != std::string::npos);
    CHECK(text.find(knobs ? "\"1.0.0\"" : "\"0.5.4\"") != std::string::npos);
    LoadedModel back = model_from_json(text, "<round trip>");
    CHECK(back.model->params() == m->params());
    CHECK(back.model->config().wavenet.head_scale == c.wavenet.head_scale);
    CHECK(back.metadata.name == "round trip");
    CHECK(back.model->knobs().size() == c.knobs.size());
    CHECK(model_to_json(*back.model, md) == text);
  }
}

TEST_CASE("model files with unknown versions or architectures are rejected by name") {
  const std::string lstm = R"("config": {"input_size": 1, "hidden_size": 1, "num_layers": 1}, "weights": [])";
  CHECK_THROWS_WITH_AS(model_from_json(R"({"version": "2.0.0", "architecture": "KnobLSTM", )" + lstm + "}", "k.nam"),
                       doctest::Contains("nam-knobs model version 1.x"), InputError);
  CHECK_THROWS_WITH_AS(model_from_json(R"({"version": "0.5.4", "architecture": "Transformer", )" + lstm + "}", "t.nam"),
                       doctest::Contains("Transformer"), InputError);
}
