// Model configs from JSON: the shipped configs/models files, and errors that name the field.
#include <doctest/doctest.h>

#include "base/error.h"
#include "nn/model_config.h"

using namespace namk;

namespace {
const std::string kConfigs = std::string(NAMK_FIXTURES_DIR) + "/../../configs/models/";

ModelConfig parse(const std::string& text) {
  return model_config_from_json(Json::parse_string(text, "test.json"));
}
}  // namespace

TEST_CASE("shipped preset configs equal the built-in presets") {
  for (const std::string& name : preset_names()) {
    CAPTURE(name);
    auto from_file = make_model(kConfigs + name + ".json");
    auto built_in = make_model(name);
    CHECK(from_file->num_params() == built_in->num_params());
    CHECK(from_file->receptive_field() == built_in->receptive_field());
    CHECK(from_file->knobs().empty());
  }
}

TEST_CASE("shipped knob configs load") {
  ModelConfig film = load_model_config(kConfigs + "wavenet_film.json");
  CHECK(film.conditioning == Conditioning::Film);
  CHECK(film.film.hidden == 16);
  CHECK(film.knobs.empty());  // taken from the dataset
  ModelConfig demo = load_model_config(kConfigs + "demo_film.json");
  CHECK(demo.conditioning == Conditioning::Film);
  demo.knobs = {KnobSpec{"gain", 0, 10, 5, ""}};
  auto m = make_model(demo);
  CHECK(m->architecture_params() == 841);
  ModelConfig lstm = load_model_config(kConfigs + "lstm_concat.json");
  CHECK(lstm.architecture == "LSTM");
  CHECK(lstm.lstm.hidden_size == 16);
  CHECK(lstm.conditioning == Conditioning::Concat);
  ModelConfig routed = load_model_config(kConfigs + "tonestack_film_routed.json");
  CHECK(routed.film.separable);
  CHECK(*routed.tone_stack_wavenet.knob_routing.tone_stack ==
        std::vector<std::vector<std::string>>{{"bass", "mid", "treble"}});
  for (const char* name : {"gain", "bass", "mid", "treble"}) routed.knobs.push_back(KnobSpec{name, 0, 10, 5, ""});
  CHECK(make_model(routed)->num_params() > 0);
  ModelConfig gains = load_model_config(kConfigs + "tonestack_film_routed_gains.json");
  CHECK(*gains.tone_stack_wavenet.knob_routing.tone_stack ==
        std::vector<std::vector<std::string>>{{"bass", "mid", "treble"}});
  CHECK(*gains.tone_stack_wavenet.knob_routing.tone_stack_moves == std::vector<std::string>{"gain"});
  gains.knobs = routed.knobs;
  // The same tensors as the routed config: a capture of tonestack_film.json starts either (train --init).
  CHECK(make_model(gains)->num_params() == make_model(routed)->num_params());
}

TEST_CASE("a preset with knobs and options") {
  ModelConfig c = parse(R"({"preset": "nano", "knobs": [{"name": "drive", "min": 0, "max": 1}],
                            "conditioning": {"method": "film", "shift": false, "hidden": 4},
                            "smoothing_ms": 0})");
  CHECK(c.knobs.size() == 1);
  CHECK(c.knobs[0].default_value == 0);
  CHECK(!c.film.shift);
  CHECK(c.smoothing_ms == 0);
  CHECK(make_model(c)->num_params() == 841 + 4 + 4 + 4 * 2 * 2 * 0 + (4 * 7 + 2 * 13) * 4 + (4 * 7 + 2 * 13));
}

TEST_CASE("bad model configs name the field") {
  auto fails = [](const std::string& text, const std::string& fragment) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(parse(text), doctest::Contains(fragment.c_str()), InputError);
  };
  fails(R"({"preset": "huge"})", "preset");
  fails(R"({"preset": "nano", "architecture": "LSTM"})", "architecture");
  fails(R"({"preset": "nano", "knobz": []})", "knobz");
  fails(R"({"architecture": "Transformer", "config": {}})", "architecture");
  fails(R"({"preset": "nano", "knobs": [{"name": "a", "min": 1, "max": 0}]})", "knobs[0].max");
  fails(R"({"preset": "nano", "knobs": [{"name": "a", "min": 0, "max": 1}, {"name": "a", "min": 0, "max": 1}]})",
        "knobs[1].name");
  fails(R"({"preset": "nano", "conditioning": {"method": "sum"}})", "conditioning.method");
  fails(R"({"architecture": "WaveNet", "config": {"layers": [{"input_size": 1, "condition_size": 1,
        "head_size": 1, "channels": 2, "kernel_size": 3, "dilations": [1], "activation": "Tanhh",
        "gated": false, "head_bias": false}], "head": null, "head_scale": 0.02}})",
        "layers[0].activation");
  fails(R"({"architecture": "WaveNet", "config": {"layers": [], "head": {"x": 1}, "head_scale": 0.02}})",
        "config.head");
}
