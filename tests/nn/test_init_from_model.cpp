// train --init: a knob model started from a plain capture of the same architecture computes what
// the capture computes, at every knob setting; a knob model started from another with the same
// knobs is a copy; mismatches are refused with the tensor and both shapes named.
#include <doctest/doctest.h>

#include "model_test_util.h"
#include "nn/init_from_model.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("a FiLM knob model started from a plain capture computes the capture at every setting") {
  for (auto& [name, base] : all_variants()) {
    if (!base.knobs.empty()) continue;
    CAPTURE(name);
    auto capture = make_model(base);
    randomise(*capture, 11);
    ModelConfig knob_config = base;
    knob_config.knobs = two_knobs();
    knob_config.film.hidden = 4;
    auto knob_model = make_model(knob_config);
    knob_model->init_params(3);
    init_from_model(*knob_model, *capture, "capture.nam");
    const Mat x = random_signal(capture->receptive_field() + 300, 5);
    const Mat expected = graph_output(*capture, x, {});
    for (const std::vector<double>& knobs : {std::vector<double>{0, -1}, {5, 0}, {10, 1}, {2.5, 0.3}}) {
      const Mat y = graph_output(*knob_model, x, knobs);
      REQUIRE(y.cols() == expected.cols());
      CHECK((y - expected).cwiseAbs().maxCoeff() <= 1e-5f * (1 + expected.cwiseAbs().maxCoeff()));
    }
    // The conditioner is left as init_params() made it; only the architecture's tensors changed.
    const Index arch = knob_model->architecture_params();
    CHECK(knob_model->params().head(arch) == capture->params());
  }
}

TEST_CASE("a tone-stack knob model started from a plain one keeps the plain model's EQ") {
  // Without knobs the tone stack's settings are a tensor (a learned EQ); with knobs they are the
  // FiLM network's control rows, which start flat. The capture's EQ must survive the move.
  ModelConfig plain = tiny_tone_stack_wavenet();
  plain.knobs.clear();
  auto capture = make_model(plain);
  randomise(*capture, 17);
  auto knob_model = make_model(tiny_tone_stack_wavenet());
  knob_model->init_params(4);
  init_from_model(*knob_model, *capture, "capture.nam");
  const Mat x = random_signal(capture->receptive_field() + 300, 6);
  const Mat expected = graph_output(*capture, x, {});
  // A flat tone stack would not do: the capture's EQ changes its output.
  auto flat = make_model(plain);
  flat->params() = capture->params();
  flat->params().tail(plain.tone_stack_wavenet.tone_stack.controls()).setZero();  // the EQ is the last tensor
  CHECK((graph_output(*flat, x, {}) - expected).cwiseAbs().maxCoeff() > 1e-2f);
  for (const std::vector<double>& knobs : {std::vector<double>{0, -1}, {5, 0}, {10, 1}}) {
    const Mat y = graph_output(*knob_model, x, knobs);
    REQUIRE(y.cols() == expected.cols());
    CHECK((y - expected).cwiseAbs().maxCoeff() <= 1e-5f * (1 + expected.cwiseAbs().maxCoeff()));
  }
  // Another tone stack's controls would mean other filters: refused, with the file named.
  ModelConfig two_sections = plain;
  two_sections.tone_stack_wavenet.tone_stack.sections.pop_back();
  CHECK_THROWS_WITH_AS(init_from_model(*knob_model, *make_model(two_sections), "eq2.nam"),
                       doctest::Contains("eq2.nam: config.tone_stack: expected the tone stack of the model trained"),
                       InputError);
}

TEST_CASE("a knob model started from one with the same knobs copies every weight") {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  c.film.hidden = 4;
  auto source = make_model(c);
  randomise(*source, 21);
  auto target = make_model(c);
  target->init_params(1);
  init_from_model(*target, *source, "knobs.nam");
  CHECK(target->params() == source->params());
}

TEST_CASE("--init refuses another architecture, other tensors, other knobs and concat's widened inputs") {
  ModelConfig plain = tiny_wavenet();
  ModelConfig knob = plain;
  knob.knobs = two_knobs();
  knob.film.hidden = 4;
  auto target = make_model(knob);

  auto lstm = make_model(tiny_lstm());
  CHECK_THROWS_WITH_AS(init_from_model(*target, *lstm, "lstm.nam"),
                       doctest::Contains("lstm.nam: architecture: expected a WaveNet model, as the model trained, found a LSTM model"),
                       InputError);

  ModelConfig wider = plain;
  wider.wavenet.layers[0].channels = 4;
  wider.wavenet.layers[1].input_size = 4;
  auto other = make_model(wider);
  CHECK_THROWS_WITH_AS(init_from_model(*target, *other, "wide.nam"),
                       doctest::Contains("wide.nam: layers[0].rechannel.weight: expected shape (3, 1)"), InputError);
  CHECK_THROWS_WITH_AS(init_from_model(*target, *other, "wide.nam"), doctest::Contains("found shape (4, 1)"),
                       InputError);

  ModelConfig other_knobs = knob;
  other_knobs.knobs[1].name = "treble";
  auto with_treble = make_model(other_knobs);
  CHECK_THROWS_WITH_AS(init_from_model(*target, *with_treble, "treble.nam"),
                       doctest::Contains("found knobs gain, treble"), InputError);

  ModelConfig concat = tiny_lstm();
  auto plain_lstm = make_model(concat);
  concat.knobs = two_knobs();
  concat.conditioning = Conditioning::Concat;
  auto concat_lstm = make_model(concat);
  CHECK_THROWS_WITH_AS(init_from_model(*concat_lstm, *plain_lstm, "plain.nam"),
                       doctest::Contains("--init needs FiLM"), InputError);
}
