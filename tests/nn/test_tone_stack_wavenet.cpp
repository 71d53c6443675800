// ToneStackWaveNet: a WaveNet stage, a knob-set tone stack, a second WaveNet stage. Checked against
// the same computation assembled by hand from two WaveNet models and the tone stack op, streamed at
// several block sizes, written and read back, and its refusals.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "base/json.h"
#include "core/ops.h"
#include "model_test_util.h"
#include "nn/layers/tone_stack.h"
#include "nn/model_config.h"
#include "nn/model_file.h"
#include "nn/tone_stack_wavenet.h"

using namespace namk;
using namespace namk::test;

namespace {

// A knobbed FiLM WaveNet with one stage's config, its weights copied from the ToneStackWaveNet's
// "pre."/"post." tensors and its FiLM network's rows [first_row, first_row + its sites' rows).
std::unique_ptr<Model> stage_as_wavenet(const Model& m, const WaveNetConfig& stage, const std::string& prefix,
                                        Index first_row, bool knobs = true) {
  ModelConfig c;
  c.wavenet = stage;
  if (knobs) c.knobs = m.knobs();
  c.film = m.config().film;
  auto w = make_model(c);
  for (const ParamView& v : w->param_layout().views()) {
    const bool film = v.name.rfind("film.", 0) == 0;
    const ParamView& from = m.param_layout().view(film ? v.name : prefix + v.name);
    const Index skip = v.name == "film.w2" ? first_row * m.config().film.hidden : v.name == "film.b2" ? first_row : 0;
    std::copy_n(m.params().data() + from.offset + skip, v.size(), w->params().data() + v.offset);
  }
  return w;
}

Index film_rows(const Model& wavenet) { return wavenet.param_layout().view("film.b2").size(); }

}  // namespace

TEST_CASE("ToneStackWaveNet computes stage 2 of the tone stack of stage 1, with the controls its FiLM network gives") {
  auto m = make_model(tiny_tone_stack_wavenet());
  randomise(*m, 3, 0.4);
  const std::vector<double> knobs{7.0, 0.3};
  const auto& c = m->config().tone_stack_wavenet;
  auto pre = stage_as_wavenet(*m, c.pre, "pre.", 0);
  auto post = stage_as_wavenet(*m, c.post, "post.", film_rows(*pre));
  REQUIRE(m->receptive_field() == pre->receptive_field() + post->receptive_field() - 1);

  const Mat x = random_signal(m->receptive_field() + 900, 2);
  const Mat a = graph_output(*pre, x, knobs);
  // The controls: the FiLM network's rows after both stages' sites.
  ToneStackConfig tone = c.tone_stack;
  tone.sample_rate = m->sample_rate();
  const Index rows = film_rows(*pre) + film_rows(*post);
  REQUIRE(film_rows(*m) == rows + tone.controls());
  Mat column(film_rows(*m), 1);
  {
    // The column for these knobs, read off a graph of the FiLM network alone: a WaveNet with every
    // layer at gamma = 1 would not expose it, so take it from the weights directly.
    const ParamLayout& l = m->param_layout();
    const Scalar* p = m->params().data();
    const Index hidden = m->config().film.hidden, nk = 2;
    Vec k(nk);
    for (Index i = 0; i < nk; ++i) k[i] = static_cast<Scalar>(m->knobs()[size_t(i)].normalise(knobs[size_t(i)]));
    const Eigen::Map<const Eigen::Matrix<Scalar, -1, -1, Eigen::RowMajor>> w1(p + l.view("film.w1").offset, hidden, nk),
        w2(p + l.view("film.w2").offset, column.rows(), hidden);
    const Vec h = (w1 * k + ConstMatMap(p + l.view("film.b1").offset, hidden, 1)).array().tanh().matrix();
    column = w2 * h + ConstMatMap(p + l.view("film.b2").offset, column.rows(), 1);
  }
  Tape t;
  const Var toned = tone_stack(t, t.constant(a), t.constant(column.bottomRows(tone.controls())), tone);
  const Mat expected = graph_output(*post, t.value(toned), knobs);
  const Mat got = graph_output(*m, x, knobs);
  REQUIRE(got.cols() == expected.cols());
  CHECK((got - expected).cwiseAbs().maxCoeff() < 1e-5);
  CHECK(got.cwiseAbs().maxCoeff() > 1e-2);
}

TEST_CASE("ToneStackWaveNet with knobs_in_post false runs its second stage unmodulated") {
  ModelConfig config = tiny_tone_stack_wavenet();
  config.tone_stack_wavenet.knobs_in_post = false;
  auto m = make_model(config);
  randomise(*m, 3, 0.4);
  const std::vector<double> knobs{2.0, -0.6};
  const auto& c = m->config().tone_stack_wavenet;
  auto pre = stage_as_wavenet(*m, c.pre, "pre.", 0);
  auto post = stage_as_wavenet(*m, c.post, "post.", 0, false);
  // The FiLM network's outputs: the first stage's sites and the controls, nothing for the second.
  CHECK(film_rows(*m) == film_rows(*pre) + 9);
  CHECK(m->architecture_params() + m->param_layout().view("film.w1").size() +
            m->param_layout().view("film.b1").size() + (film_rows(*pre) + 9) * (config.film.hidden + 1) ==
        m->num_params());
  // Zero controls (the FiLM network's last rows: weights and bias) make the tone stack flat, and
  // then the model is the knobbed first stage into the plain second one.
  const ParamView& w2 = m->param_layout().view("film.w2");
  const ParamView& b2 = m->param_layout().view("film.b2");
  std::fill_n(m->params().data() + w2.offset + film_rows(*pre) * config.film.hidden, 9 * config.film.hidden, Scalar(0));
  std::fill_n(m->params().data() + b2.offset + film_rows(*pre), 9, Scalar(0));
  const Mat x = random_signal(m->receptive_field() + 400, 6);
  const Mat through = graph_output(*post, graph_output(*pre, x, knobs), {});
  CHECK((graph_output(*m, x, knobs) - through).cwiseAbs().maxCoeff() < 1e-6);
  CHECK(through.cwiseAbs().maxCoeff() > 1e-2);
  // Streaming agrees, and the setting is written and read back.
  m->set_smoothing_ms(0);
  m->prepare(64);
  m->set_knob("gain", knobs[0]);
  m->set_knob("tone", knobs[1]);
  const Mat stream = stream_output(*m, x, {64, 5});
  CHECK((stream.rightCols(300) - through.rightCols(300)).cwiseAbs().maxCoeff() < 1e-5);
  const std::string text = model_to_json(*m);
  CHECK(text.find("\"knobs_in_post\": false") != std::string::npos);
  CHECK_FALSE(model_from_json(text, "t.nam").model->config().tone_stack_wavenet.knobs_in_post);
}

TEST_CASE("ToneStackWaveNet starts with a flat tone stack") {
  // init_params: the FiLM output layer at zero, so the controls are 0 and each section 0 dB, and the
  // model is the two stages in series whatever the knobs.
  auto m = make_model(tiny_tone_stack_wavenet());
  m->init_params(4);
  const auto& c = m->config().tone_stack_wavenet;
  auto pre = stage_as_wavenet(*m, c.pre, "pre.", 0);
  auto post = stage_as_wavenet(*m, c.post, "post.", film_rows(*pre));
  const Mat x = random_signal(m->receptive_field() + 500, 6);
  for (const std::vector<double>& knobs : {std::vector<double>{0.0, -1.0}, std::vector<double>{10.0, 1.0}}) {
    const Mat through = graph_output(*post, graph_output(*pre, x, knobs), knobs);
    CHECK((graph_output(*m, x, knobs) - through).cwiseAbs().maxCoeff() < 1e-6);
  }
}

TEST_CASE("ToneStackWaveNet without knobs learns one fixed tone stack") {
  ModelConfig c = tiny_tone_stack_wavenet();
  c.knobs.clear();
  auto m = make_model(c);
  const ParamView& controls = m->param_layout().view("tone_stack.controls");
  CHECK(controls.shape == std::vector<Index>{9});
  CHECK(controls.offset + 9 == m->num_params());  // the last tensor
  randomise(*m, 2, 0.4);
  // Streaming settles onto the graph, and the controls matter.
  m->prepare(64);
  const Mat x = random_signal(5000, 4);
  const Mat graph = graph_output(*m, x, {});
  const Mat stream = stream_output(*m, x, {64});
  CHECK((stream.rightCols(2000) - graph.rightCols(2000)).cwiseAbs().maxCoeff() < 1e-5);
  std::fill_n(m->params().data() + controls.offset, 9, Scalar(0));
  CHECK((graph_output(*m, x, {}) - graph).cwiseAbs().maxCoeff() > 1e-3);
}

TEST_CASE("tone_settings reads the filters the model plays from its controls, with knobs or without") {
  // The mapping of tone_stack.h, written out here: gain = 18 tanh(r0), frequency and Q geometric.
  const auto expect = [](const ToneStackConfig& tone, size_t s, const Scalar* r, const ToneSectionSetting& got) {
    const ToneStackSection& section = tone.sections[s];
    CHECK(got.kind == section.kind);
    CHECK(got.gain_db == doctest::Approx(tone.max_gain_db * std::tanh(double(r[0]))).epsilon(1e-6));
    CHECK(got.frequency == doctest::Approx(std::sqrt(section.min_hz * section.max_hz) *
                                           std::pow(section.max_hz / section.min_hz, std::tanh(double(r[1])) / 2))
                               .epsilon(1e-6));
    CHECK(got.q == doctest::Approx(std::sqrt(tone.min_q * tone.max_q) *
                                   std::pow(tone.max_q / tone.min_q, std::tanh(double(r[2])) / 2))
                       .epsilon(1e-6));
  };
  const Scalar controls[9] = {0.5f, -0.3f, 0.2f, -1.1f, 0.7f, -0.4f, 0.05f, 1.3f, 0.9f};
  ModelConfig fixed = tiny_tone_stack_wavenet();
  fixed.knobs.clear();
  auto plain = make_model(fixed);
  randomise(*plain, 5, 0.4);
  std::copy_n(controls, 9, plain->params().data() + plain->param_layout().view("tone_stack.controls").offset);
  const auto& plain_tone = dynamic_cast<const ToneStackWaveNet&>(*plain);
  const std::vector<ToneSectionSetting> settings = plain_tone.tone_settings({});
  REQUIRE(settings.size() == 3);
  for (size_t s = 0; s < 3; ++s) expect(fixed.tone_stack_wavenet.tone_stack, s, controls + 3 * s, settings[s]);
  CHECK(settings[0].kind == BiquadKind::LowShelf);

  // With knobs the controls are the FiLM network's last rows: with W2 zero they are its biases.
  auto knobbed = make_model(tiny_tone_stack_wavenet());
  randomise(*knobbed, 5, 0.4);
  const ParamView& w2 = knobbed->param_layout().view("film.w2");
  const ParamView& b2 = knobbed->param_layout().view("film.b2");
  std::fill_n(knobbed->params().data() + w2.offset, w2.size(), Scalar(0));
  std::copy_n(controls, 9, knobbed->params().data() + b2.offset + b2.size() - 9);
  const auto& knob_tone = dynamic_cast<const ToneStackWaveNet&>(*knobbed);
  const std::vector<ToneSectionSetting> at = knob_tone.tone_settings(std::vector<double>{3.0, 0.5});
  for (size_t s = 0; s < 3; ++s) expect(knobbed->config().tone_stack_wavenet.tone_stack, s, controls + 3 * s, at[s]);
  CHECK_THROWS_AS(knob_tone.tone_settings(std::vector<double>{3.0}), UsageError);

  // Routed per section and moving only the gains: a knob turns its own section's gain, and no
  // frequency or Q moves.
  ModelConfig routed = tiny_tone_stack_wavenet();
  routed.film.separable = true;
  routed.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"tone"}, {"gain"}, {}};
  routed.tone_stack_wavenet.knob_routing.tone_stack_moves = std::vector<std::string>{"gain"};
  auto sections = make_model(routed);
  randomise(*sections, 6, 0.5);
  const auto& section_tone = dynamic_cast<const ToneStackWaveNet&>(*sections);
  const auto low = section_tone.tone_settings(std::vector<double>{5.0, -1.0});
  const auto high = section_tone.tone_settings(std::vector<double>{5.0, 1.0});
  CHECK(low[0].gain_db != high[0].gain_db);  // tone moves the low shelf's gain
  for (size_t s = 0; s < 3; ++s) {
    CHECK(low[s].frequency == high[s].frequency);
    CHECK(low[s].q == high[s].q);
    if (s > 0) CHECK(low[s].gain_db == high[s].gain_db);
  }
}

TEST_CASE("ToneStackWaveNet streams the same bits at any block size, and settles onto its graph") {
  auto m = make_model(tiny_tone_stack_wavenet());
  randomise(*m, 5, 0.4);
  m->set_smoothing_ms(0);
  m->prepare(512);
  m->set_knob("gain", 2.0);
  m->set_knob("tone", -0.5);
  const Mat x = random_signal(6000, 9);
  const Mat one = stream_output(*m, x, {1});
  m->reset();
  const Mat mixed = stream_output(*m, x, {512, 13, 64, 1, 333});
  CHECK((one.array() == mixed.array()).all());
  // The graph starts the tone stack from rest where a stream carries it from the samples before;
  // the sections' responses decay, so far from the start the two agree to rounding.
  const Mat graph = graph_output(*m, x, {2.0, -0.5});
  const Mat tail = one.rightCols(graph.cols());
  CHECK((tail.rightCols(2000) - graph.rightCols(2000)).cwiseAbs().maxCoeff() < 1e-5);
  CHECK(graph.cwiseAbs().maxCoeff() > 1e-2);
}

TEST_CASE("ToneStackWaveNet's knobs move its tone stack while streaming") {
  auto m = make_model(tiny_tone_stack_wavenet());
  randomise(*m, 5, 0.4);
  m->set_smoothing_ms(0);
  m->prepare(64);
  const Mat x = random_signal(2000, 1);
  m->set_knob("tone", -1.0);
  const Mat low = stream_output(*m, x, {64});
  m->reset();
  m->set_knob("tone", 1.0);
  const Mat high = stream_output(*m, x, {64});
  CHECK((low - high).cwiseAbs().maxCoeff() > 1e-3);
}

TEST_CASE("a ToneStackWaveNet file reads back to the same model") {
  ModelConfig config = tiny_tone_stack_wavenet();
  config.tone_stack_wavenet.tone_stack.sections = {{BiquadKind::Peak, 300, 2500}, {BiquadKind::HighShelf, 2000, 9000}};
  config.tone_stack_wavenet.tone_stack.max_gain_db = 12;
  auto m = make_model(config);
  randomise(*m, 8, 0.4);
  const std::string text = model_to_json(*m);
  CHECK(text.find("\"architecture\": \"KnobToneStackWaveNet\"") != std::string::npos);
  const LoadedModel back = model_from_json(text, "tone.nam");
  const auto& t = back.model->config().tone_stack_wavenet.tone_stack;
  REQUIRE(t.sections.size() == 2);
  CHECK(t.sections[1].kind == BiquadKind::HighShelf);
  CHECK(t.sections[1].max_hz == 9000);
  CHECK(t.max_gain_db == 12);
  CHECK((back.model->params().array() == m->params().array()).all());
  const Mat x = random_signal(m->receptive_field() + 300, 3);
  CHECK((graph_output(*back.model, x, {1.0, 0.5}).array() == graph_output(*m, x, {1.0, 0.5}).array()).all());

  // Without knobs it is still our file: NAM has no such architecture.
  config.knobs.clear();
  auto plain = make_model(config);
  randomise(*plain, 2, 0.4);
  const std::string plain_text = model_to_json(*plain);
  CHECK(plain_text.find("\"version\": \"1.0.0\"") != std::string::npos);
  CHECK(plain_text.find("\"architecture\": \"KnobToneStackWaveNet\"") != std::string::npos);
  const LoadedModel plain_back = model_from_json(plain_text, "plain.nam");
  CHECK(plain_back.model->knobs().empty());
  CHECK((plain_back.model->params().array() == plain->params().array()).all());
}

TEST_CASE("ToneStackWaveNet refusals name the field") {
  auto message = [](const ModelConfig& c) {
    try {
      make_model(c);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ModelConfig c = tiny_tone_stack_wavenet();
  c.conditioning = Conditioning::Concat;
  CHECK(message(c).find("conditioning.method: expected \"film\"") != std::string::npos);
  c = tiny_tone_stack_wavenet();
  c.sample_rate = 16000;
  c.tone_stack_wavenet.tone_stack.sections[2].max_hz = 12000;
  CHECK(message(c).find("config.tone_stack.sections[2].max_hz: expected a frequency below half the sample rate "
                        "(8000 Hz), found 12000") != std::string::npos);
  c = tiny_tone_stack_wavenet();
  c.tone_stack_wavenet.post.layers[0].input_size = 2;
  CHECK(message(c).find("config.post.layers[0].input_size") != std::string::npos);

  // Baking: no NAM architecture has a recursive filter.
  auto m = make_model(tiny_tone_stack_wavenet());
  CHECK_THROWS_WITH_AS(m->baked(std::vector<double>{1.0, 0.0}),
                       doctest::Contains("recursive (IIR) filter, which no NAM architecture can express"), UsageError);

  // The config reader.
  const auto read = [](const std::string& tone_stack) {
    const std::string stage =
        R"({"layers": [{"input_size": 1, "condition_size": 1, "head_size": 1, "channels": 2, "kernel_size": 3,
            "dilations": [1], "activation": "Tanh", "gated": false, "head_bias": false}], "head": null, "head_scale": 1})";
    const std::string text = R"({"architecture": "ToneStackWaveNet", "config": {"pre": )" + stage +
                             R"(, "tone_stack": )" + tone_stack + R"(, "post": )" + stage +
                             R"(}, "knobs": [{"name": "bass", "min": 0, "max": 10}]})";
    try {
      return std::to_string(model_config_from_json(Json::parse_string(text, "m.json")).tone_stack_wavenet.tone_stack.sections.size());
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  CHECK(read("{}") == "3");  // bass, mid, treble
  CHECK(read(R"({"sections": [{"type": "low_shelf", "min_hz": 60, "max_hz": 300}]})") == "1");
  const auto refused = [&](const std::string& tone_stack, const std::string& expected) {
    const std::string error = read(tone_stack);
    CAPTURE(error);
    CHECK(error.find(expected) != std::string::npos);
  };
  refused(R"({"sections": [{"type": "low_pass", "min_hz": 60, "max_hz": 300}]})",
          "config.tone_stack.sections[0].type: expected one of \"low_shelf\", \"peak\", \"high_shelf\"");
  refused(R"({"sections": [{"type": "peak", "min_hz": 900, "max_hz": 300}]})",
          "config.tone_stack.sections[0].max_hz: expected a number in [900, 24000], found the number 300");
  refused(R"({"sections": []})", "config.tone_stack.sections: expected at least one section");
}
