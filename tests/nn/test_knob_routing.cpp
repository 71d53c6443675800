// Knob routing in a ToneStackWaveNet: each part hears only the knobs it names. Checked against the
// same model unrouted with the routed-out weights zeroed by hand (so the routed model must ignore
// whatever its buffer holds there), streamed at every block sweep, written and read back, and its
// refusals. The gradient check is in test_gradcheck.cpp.
#include <doctest/doctest.h>

#include "base/json.h"
#include "model_test_util.h"
#include "nn/model_config.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

namespace {

// tiny_tone_stack_wavenet (knobs gain, tone) with separable FiLM: the preamp hears gain, the tone
// stack tone, the power amp nothing.
ModelConfig routed() {
  ModelConfig c = tiny_tone_stack_wavenet();
  c.film.separable = true;
  c.tone_stack_wavenet.knob_routing.pre = std::vector<std::string>{"gain"};
  c.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"tone"}};
  c.tone_stack_wavenet.knob_routing.post = std::vector<std::string>{};
  return c;
}

// routed() with the tone stack routed per section (the low shelf hears tone, the peak gain, the high
// shelf nothing) and the knobs moving only the sections' gains.
ModelConfig sections() {
  ModelConfig c = routed();
  c.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"tone"}, {"gain"}, {}};
  c.tone_stack_wavenet.knob_routing.tone_stack_moves = std::vector<std::string>{"gain"};
  return c;
}

// Rows of the FiLM column the first stage's sites take: a WaveNet of that stage alone has as many.
Index pre_rows(const ModelConfig& c) {
  ModelConfig w;
  w.wavenet = c.tone_stack_wavenet.pre;
  w.knobs = c.knobs;
  w.film = c.film;
  return make_model(w)->param_layout().view("film.b2").size();
}

}  // namespace

TEST_CASE("knob routing: a ToneStackWaveNet's parts hear only their knobs, whatever the routed-out weights hold") {
  const ModelConfig config = routed();
  auto m = make_model(config);
  randomise(*m, 11, 0.5);  // routed-out entries of film.w2 random too
  ModelConfig open = config;
  open.tone_stack_wavenet.knob_routing = {};
  auto by_hand = make_model(open);
  REQUIRE(by_hand->num_params() == m->num_params());  // routing adds no tensor
  std::copy_n(m->params().data(), m->num_params(), by_hand->params().data());

  // film.w2 (rows, hidden * 2), row-major; units [0, hidden) read gain, [hidden, 2 hidden) tone.
  const ParamView& w2 = m->param_layout().view("film.w2");
  const Index hidden = config.film.hidden, units = 2 * hidden, rows = w2.shape[0];
  const Index pre = pre_rows(config), controls_start = rows - config.tone_stack_wavenet.tone_stack.controls();
  REQUIRE(pre > 0);
  REQUIRE(controls_start > pre);
  for (Index r = 0; r < rows; ++r)
    for (Index u = 0; u < units; ++u) {
      const bool gain_unit = u < hidden;
      const bool heard = r < pre ? gain_unit : r < controls_start ? false : !gain_unit;
      if (!heard) by_hand->params()[w2.offset + r * units + u] = 0;
    }

  const Mat x = random_signal(m->receptive_field() + 300, 4);
  for (const std::vector<double>& knobs : {std::vector<double>{8.0, -0.7}, std::vector<double>{1.5, 0.9}}) {
    const Mat y = graph_output(*m, x, knobs);
    CHECK((y - graph_output(*by_hand, x, knobs)).cwiseAbs().maxCoeff() == 0);
  }
  // Sanity of the check above: the routed-out weights would change the output.
  auto unrouted = make_model(open);
  std::copy_n(m->params().data(), m->num_params(), unrouted->params().data());
  CHECK((graph_output(*unrouted, x, {8.0, -0.7}) - graph_output(*m, x, {8.0, -0.7})).cwiseAbs().maxCoeff() > 1e-3);
}

TEST_CASE("knob routing per tone-stack section, moving only the gains: each row hears what the config names") {
  const ModelConfig config = sections();
  auto m = make_model(config);
  randomise(*m, 14, 0.5);
  ModelConfig open = config;
  open.tone_stack_wavenet.knob_routing = {};
  auto by_hand = make_model(open);
  REQUIRE(by_hand->num_params() == m->num_params());
  std::copy_n(m->params().data(), m->num_params(), by_hand->params().data());
  const ParamView& w2 = m->param_layout().view("film.w2");
  const Index hidden = config.film.hidden, units = 2 * hidden, rows = w2.shape[0];
  const Index pre = pre_rows(config), controls_start = rows - config.tone_stack_wavenet.tone_stack.controls();
  REQUIRE(controls_start + 9 == rows);
  for (Index r = 0; r < rows; ++r)
    for (Index u = 0; u < units; ++u) {
      const bool gain_unit = u < hidden;
      bool heard = r < pre && gain_unit;
      if (r >= controls_start) {  // three rows per section: gain, frequency, Q
        const Index section = (r - controls_start) / 3, setting = (r - controls_start) % 3;
        heard = setting == 0 && ((section == 0 && !gain_unit) || (section == 1 && gain_unit));
      }
      if (!heard) by_hand->params()[w2.offset + r * units + u] = 0;
    }
  const Mat x = random_signal(m->receptive_field() + 300, 7);
  for (const std::vector<double>& knobs : {std::vector<double>{8.0, -0.7}, std::vector<double>{1.5, 0.9}})
    CHECK((graph_output(*m, x, knobs) - graph_output(*by_hand, x, knobs)).cwiseAbs().maxCoeff() == 0);
  // Sanity of the check above: with every setting moving, the same weights give another output (the
  // frequency and Q rows' weights are small in this tiny model: about 5e-5 here).
  ModelConfig every_setting = config;
  every_setting.tone_stack_wavenet.knob_routing.tone_stack_moves.reset();
  auto moving = make_model(every_setting);
  std::copy_n(m->params().data(), m->num_params(), moving->params().data());
  CHECK((graph_output(*moving, x, {8.0, -0.7}) - graph_output(*m, x, {8.0, -0.7})).cwiseAbs().maxCoeff() > 1e-5);
}

TEST_CASE("knob routing: streaming equals the graph at every block sweep") {
  for (const ModelConfig& config : {routed(), sections()}) {
    auto m = make_model(config);
    randomise(*m, 12, 0.4);
    // The tone stack starts from rest in the graph and carries its state in a stream: compare where
    // its response has decayed (test_tone_stack_wavenet.cpp), at each block sweep.
    m->set_smoothing_ms(0);
    const Mat x = random_signal(6000, 5);
    const Mat graph = graph_output(*m, x, {6.5, 0.2});
    CHECK(graph.cwiseAbs().maxCoeff() > 1e-2);
    Mat first;
    for (const std::vector<int>& blocks : kBlockSweeps) {
      CAPTURE(blocks.front());
      m->prepare(*std::max_element(blocks.begin(), blocks.end()));
      m->set_knob("gain", 6.5);
      m->set_knob("tone", 0.2);
      m->reset();
      const Mat stream = stream_output(*m, x, blocks);
      CHECK((stream.rightCols(2000) - graph.rightCols(2000)).cwiseAbs().maxCoeff() < 1e-5);
      if (first.size() == 0) first = stream;
      CHECK((stream - first).cwiseAbs().maxCoeff() == 0);
    }
  }
}

TEST_CASE("knob routing: a file keeps it, and a model without it writes no key") {
  auto m = make_model(routed());
  randomise(*m, 13, 0.4);
  const std::string text = model_to_json(*m);
  CHECK(text.find(R"("knob_routing": {"pre": ["gain"], "tone_stack": ["tone"], "post": []})") != std::string::npos);
  const LoadedModel back = model_from_json(text, "routed.nam");
  const auto& r = back.model->config().tone_stack_wavenet.knob_routing;
  REQUIRE(r.pre);
  CHECK(*r.pre == std::vector<std::string>{"gain"});
  REQUIRE(r.post);
  CHECK(r.post->empty());
  const Mat x = random_signal(m->receptive_field() + 200, 6);
  CHECK((graph_output(*back.model, x, {3.0, 0.5}) - graph_output(*m, x, {3.0, 0.5})).cwiseAbs().maxCoeff() == 0);
  CHECK(model_to_json(*make_model(tiny_tone_stack_wavenet())).find("knob_routing") == std::string::npos);

  auto s = make_model(sections());
  randomise(*s, 15, 0.4);
  const std::string per_section = model_to_json(*s);
  CHECK(per_section.find(R"("tone_stack": [["tone"], ["gain"], []], "post": [], "tone_stack_moves": ["gain"]})") !=
        std::string::npos);
  const LoadedModel s_back = model_from_json(per_section, "sections.nam");
  const auto& sr = s_back.model->config().tone_stack_wavenet.knob_routing;
  CHECK(*sr.tone_stack == std::vector<std::vector<std::string>>{{"tone"}, {"gain"}, {}});
  CHECK(*sr.tone_stack_moves == std::vector<std::string>{"gain"});
  CHECK((graph_output(*s_back.model, x, {3.0, 0.5}) - graph_output(*s, x, {3.0, 0.5})).cwiseAbs().maxCoeff() == 0);
}

TEST_CASE("knob routing: refusals name the field") {
  ModelConfig unknown = routed();
  unknown.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"treble"}};
  CHECK_THROWS_WITH_AS(make_model(unknown),
                       doctest::Contains("config.knob_routing.tone_stack: expected names of the model's knobs (gain, "
                                         "tone), found \"treble\""),
                       InputError);
  ModelConfig dense = routed();
  dense.film.separable = false;
  CHECK_THROWS_WITH_AS(make_model(dense), doctest::Contains("conditioning.separable: expected true with knob routing"),
                       InputError);
  const auto parse = [](const std::string& routing) {
    const std::string stage = R"({"layers": [{"input_size": 1, "condition_size": 1, "head_size": 1, "channels": 2,
      "kernel_size": 3, "dilations": [1], "activation": "Tanh", "gated": false, "head_bias": true}],
      "head": null, "head_scale": 0.5})";
    const std::string text = R"({"architecture": "ToneStackWaveNet", "config": {"pre": )" + stage +
                             R"(, "post": )" + stage +
                             R"(, "tone_stack": {"sections": [{"type": "peak", "min_hz": 200, "max_hz": 3000}]},
      "knob_routing": )" + routing + "}}";
    return model_config_from_json(Json::parse_string(text, "m.json"));
  };
  CHECK(*parse(R"({"pre": ["gain", "bass"]})").tone_stack_wavenet.knob_routing.pre ==
        std::vector<std::string>{"gain", "bass"});
  CHECK_THROWS_WITH_AS(parse(R"({"pre": "gain"})"), doctest::Contains("an array of knob names"), InputError);
  CHECK_THROWS_WITH_AS(parse(R"({"pre": [3]})"), doctest::Contains("a knob name (a string)"), InputError);
  CHECK_THROWS_WITH_AS(parse(R"({"amp": []})"), doctest::Contains("amp"), InputError);
  CHECK(*parse(R"({"tone_stack": [["bass"]], "tone_stack_moves": ["gain", "q"]})").tone_stack_wavenet.knob_routing.tone_stack ==
        std::vector<std::vector<std::string>>{{"bass"}});
  CHECK_THROWS_WITH_AS(parse(R"({"tone_stack": [["bass"], "mid"]})"),
                       doctest::Contains("an array of knob names (one per section)"), InputError);
  CHECK_THROWS_WITH_AS(parse(R"({"tone_stack_moves": "gain"})"), doctest::Contains("an array of section settings"),
                       InputError);

  ModelConfig two_lists = sections();
  two_lists.tone_stack_wavenet.knob_routing.tone_stack = std::vector<std::vector<std::string>>{{"tone"}, {"gain"}};
  CHECK_THROWS_WITH_AS(make_model(two_lists),
                       doctest::Contains("config.knob_routing.tone_stack: expected one list of knob names for every "
                                         "section, or one per section (3), found 2 lists"),
                       InputError);
  ModelConfig unknown_in_section = sections();
  unknown_in_section.tone_stack_wavenet.knob_routing.tone_stack =
      std::vector<std::vector<std::string>>{{"tone"}, {"bass"}, {}};
  CHECK_THROWS_WITH_AS(make_model(unknown_in_section),
                       doctest::Contains("config.knob_routing.tone_stack[1]: expected names of the model's knobs"),
                       InputError);
  ModelConfig bad_setting = sections();
  bad_setting.tone_stack_wavenet.knob_routing.tone_stack_moves = std::vector<std::string>{"gain", "freq"};
  CHECK_THROWS_WITH_AS(
      make_model(bad_setting),
      doctest::Contains(R"(config.knob_routing.tone_stack_moves[1]: expected "gain", "frequency" or "q", found "freq")"),
      InputError);
}
