// NAM's 0.6 and 0.7 files: what the runtime loads (A2's SlimmableContainer and its WaveNets), and
// each option it does not implement yet refused with a message naming the file, the key, what
// was expected and what was found. Agreement with the reference evaluator is tested in
// tests/reference (test_reference_vs_runtime.cpp).
#include <doctest/doctest.h>

#include "base/text_file.h"
#include "model_test_util.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

namespace {
const std::string kNam07 = std::string(NAMK_FIXTURES_DIR) + "/nam_models/";

// A one-layer 0.7 WaveNet (1 channel, kernel 1): 7 weights and head_scale. layer_keys and
// config_keys are spliced into the layer array and the config.
std::string wavenet07(const std::string& layer_keys, const std::string& config_keys = "",
                      const std::string& activation = R"("Tanh")", const std::string& version = "0.7.0") {
  return R"({"version": ")" + version + R"(", "architecture": "WaveNet", "config": {"layers": [{"input_size": 1,
      "condition_size": 1, "head": {"out_channels": 1, "kernel_size": 1, "bias": false}, "channels": 1,
      "kernel_sizes": [1], "dilations": [1], "activation": )" +
         activation + layer_keys + R"(}], "head": null, "head_scale": 0.02)" + config_keys +
         R"(}, "weights": [1, 1, 1, 1, 1, 1, 1, 0.02], "sample_rate": 48000})";
}

// text with the first occurrence of part removed.
std::string without(std::string text, const std::string& part) {
  const size_t at = text.find(part);
  REQUIRE(at != std::string::npos);
  return text.erase(at, part.size());
}

void refused(const std::string& text, std::initializer_list<const char*> fragments, const char* file = "new.nam") {
  CAPTURE(text.substr(0, 400));
  try {
    model_from_json(text, file);
    FAIL("accepted");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CAPTURE(what);
    CHECK(what.rfind(std::string(file) + ": ", 0) == 0);
    for (const char* f : fragments) CHECK(what.find(f) != std::string::npos);
  }
}
}  // namespace

TEST_CASE("A2.nam: a SlimmableContainer whose full model loads by default, the lite one by slim value") {
  const LoadedModel full = load_model(kNam07 + "A2.nam");
  CHECK(full.version == "0.7.0");
  CHECK(full.slim_max_values == std::vector<double>{0.5, 1.0});
  CHECK(full.slim_choice == 1u);
  CHECK(full.model->num_params() == 12146 - 1);  // head_scale is the file's last weight
  CHECK(full.model->config().wavenet.layers.at(0).channels == 8);
  CHECK(full.model->config().wavenet.head_scale == doctest::Approx(0.01));
  CHECK(full.model->receptive_field() == 6347);
  REQUIRE(full.metadata.loudness.has_value());  // the container's metadata
  CHECK(*full.metadata.loudness == doctest::Approx(-26.3839));
  CHECK(full.metadata.input_level_dbu == doctest::Approx(14.76));
  const LoadedModel lite = load_model(kNam07 + "A2.nam", 0.49);
  CHECK(lite.slim_choice == 0u);
  CHECK(lite.model->num_params() == 1871 - 1);
  CHECK(load_model(kNam07 + "A2.nam", 0.5).slim_choice == 1u);
}

TEST_CASE("a 0.7 WaveNet written by the runtime reads back bit-identical") {
  const LoadedModel a2 = load_model(kNam07 + "A2.nam", 0.0);
  const LoadedModel back = model_from_json(model_to_json(*a2.model, a2.metadata), "back.nam");
  CHECK(back.version == "0.7.0");
  CHECK((back.model->params().array() == a2.model->params().array()).all());
  const LayerArrayConfig& l = back.model->config().wavenet.layers.at(0);
  CHECK(l.head_kernel_size == 16);
  CHECK(l.kernel_sizes == a2.model->config().wavenet.layers.at(0).kernel_sizes);
}

TEST_CASE("the smallest 0.6/0.7 WaveNet loads, and versions 0.5 to 0.7 are read") {
  for (const char* version : {"0.5.0", "0.6.1", "0.7.0", "0.7.9"}) {
    CAPTURE(version);
    CHECK_NOTHROW(model_from_json(wavenet07("", "", R"("Tanh")", version), "new.nam"));
  }
  // Options at their "off" values, as NAM's trainer writes them into every file.
  CHECK_NOTHROW(model_from_json(
      wavenet07(R"(, "bottleneck": 1, "groups_input": 1, "groups_input_mixin": 1, "gating_mode": ["none"],
          "secondary_activation": [null], "layer1x1": {"active": true, "groups": 1},
          "head1x1": {"active": false, "out_channels": 1, "groups": 1}, "slimmable": null,
          "conv_pre_film": {"active": false, "shift": true, "groups": 1}, "head1x1_post_film": false)",
                R"(, "condition_dsp": null, "in_channels": 1)", R"({"type": "LeakyReLU", "negative_slope": 0.01})"),
      "new.nam"));
  refused(wavenet07("", "", R"("Tanh")", "0.8.0"), {"version", "0.5.x, 0.6.x or 0.7.x", "0.8.0"});
}

TEST_CASE("0.6/0.7 options whose values do not fit, and those the runtime does not implement, are refused by name") {
  refused(wavenet07(R"(, "groups_input": 2)"),
          {"config.layers[0].groups_input", "expected groups dividing channels (1)", "found 2"});
  refused(wavenet07(R"(, "groups_input_mixin": 4)"),
          {"config.layers[0].groups_input_mixin", "groups dividing condition_size (1)", "found 4"});
  refused(wavenet07(R"(, "layer1x1": {"active": true, "groups": 2})"),
          {"config.layers[0].layer1x1", "groups dividing bottleneck (1)", "found 2"});
  refused(wavenet07(R"(, "bottleneck": 2, "layer1x1": {"active": false, "groups": 1})"),
          {"config.layers[0].bottleneck", "equal to channels (1) when layer1x1 is off", "found the number 2"});
  refused(wavenet07(R"(, "layer1x1": {"active": false, "groups": 1}, "layer1x1_post_film": {"active": true})"),
          {"config.layers[0].layer1x1_post_film", "off when layer1x1 is off"});
  refused(wavenet07(R"(, "head1x1_post_film": {"active": true, "shift": true, "groups": 1})"),
          {"config.layers[0].head1x1_post_film", "off when head1x1 is off"});
  refused(wavenet07(R"(, "conv_post_film": true)"),
          {"config.layers[0].conv_post_film", "an object {\"active\", \"shift\", \"groups\"}, null or false"});
  refused(wavenet07(R"(, "conv_post_film": {"active": true, "groups": 3})"),
          {"config.layers[0].conv_post_film", "groups dividing condition_size (1)", "found 3"});
  refused(wavenet07(R"(, "gating_mode": "mixed")"),
          {"config.layers[0].gating_mode", "\"none\", \"gated\" or \"blended\"", "mixed"});
  refused(wavenet07(R"(, "gating_mode": "gated", "secondary_activation": "Swish")"),
          {"config.layers[0].secondary_activation", "one of Tanh, Hardtanh, ReLU, LeakyReLU, PReLU", "Swish"});
  refused(wavenet07("", "", R"({"type": "PReLU", "negative_slopes": [0.2, 0.3]})"),
          {"config.layers[0].activation", "PReLU with 1 or 1 (bottleneck) negative_slopes", "found 2"});
  refused(wavenet07("", "", R"({"type": "LeakyReLU", "negative_slope": 0.2, "min_val": 0})"),
          {"config.layers[0].activation", "min_val"});
  refused(wavenet07("", "", R"(["Tanh", "ReLU"])"),
          {"config.layers[0].activation", "a list of 1 values (one per dilation)", "a list of 2"});
  refused(wavenet07(R"(, "slimmable": {"method": "slice_channels_random", "kwargs": {}})"),
          {"config.layers[0].slimmable.method", "\"slice_channels_uniform\"", "slice_channels_random"});
  refused(wavenet07(R"(, "gating_mode": "blended", "slimmable": {"method": "slice_channels_uniform"})"),
          {"config.layers[0].slimmable", "null for an array with NAM 0.6 layer options"});
  // condition_dsp: a WaveNet model object whose output channels are every array's condition_size.
  const std::string lstm = R"({"version": "0.6.0", "architecture": "LSTM", "config": {}, "weights": []})";
  refused(wavenet07("", R"(, "condition_dsp": )" + lstm),
          {"config.condition_dsp.architecture", "\"WaveNet\" (the condition model)", "LSTM"});
  const std::string dsp = without(wavenet07("", "", R"("Tanh")", "0.6.0"), R"(, "sample_rate": 48000)");
  std::string two = wavenet07("", R"(, "condition_dsp": )" + dsp);
  two.replace(two.find(R"("condition_size": 1)"), 19, R"("condition_size": 2)");
  refused(two, {"config.layers[0].condition_size", "expected 1 (the condition's channels: the audio, or a condition_dsp's output)", "found 2"});
  CHECK_NOTHROW(model_from_json(wavenet07("", R"(, "condition_dsp": )" + dsp), "new.nam"));
  // Extra input channels run only as knobs listed under metadata.namk_knob_inputs (nn/knob_inputs.h).
  refused(wavenet07("", R"(, "in_channels": 2)"),
          {"metadata.namk_knob_inputs", "input channels 1..1 (config.in_channels is 2", "found no such key"});
  refused(without(wavenet07(R"(, "head": {"out_channels": 1, "kernel_size": 2, "bias": false}, "slimmable": {"method":
              "slice_channels_uniform"})"),
                  R"("head": {"out_channels": 1, "kernel_size": 1, "bias": false}, )"),
          {"config.layers[0].slimmable", "null for an array whose head looks back"});
  refused(wavenet07(R"(, "head_size": 1)"), {"config.layers[0].head", "either \"head\" (0.7) or \"head_size\" (0.5)"});
}

TEST_CASE("a SlimmableContainer's submodels must be in ascending order and reach 1") {
  const std::string sub = wavenet07("");
  auto container = [&](const char* a, const char* b) {
    return std::string(R"({"version": "0.7.0", "architecture": "SlimmableContainer", "config": {"submodels": [)") +
           R"({"max_value": )" + a + R"(, "model": )" + sub + R"(}, {"max_value": )" + b + R"(, "model": )" + sub +
           "}]}, \"weights\": []}";
  };
  CHECK_NOTHROW(model_from_json(container("0.5", "1"), "new.nam"));
  refused(container("0.5", "0.4"), {"config.submodels[1].max_value", "above the previous submodel's max_value"});
  refused(container("0.2", "0.9"), {"config.submodels[1].max_value", "at least 1 for the last submodel", "0.9"});
}

// Their agreement with the reference evaluator is tested in tests/reference; streaming in
// tests/nn/test_wavenet.cpp.
TEST_CASE("NAM's test files of every 0.6 option load: wavenet_a2_max and wavenet_condition_dsp") {
  const LoadedModel max = load_model(kNam07 + "wavenet_a2_max.nam");
  CHECK(max.version == "0.6.0");
  CHECK(max.model->num_params() == 818 - 1);  // head_scale is the last weight; the condition model keeps its own
  REQUIRE(max.model->config().wavenet.condition_dsp.has_value());
  CHECK(max.model->config().wavenet.condition_dsp->weights.size() == 1052 - 1);
  const LayerArrayConfig& a = max.model->config().wavenet.layers.at(0);
  REQUIRE(a.general.has_value());
  CHECK(a.general->groups_input_mixin == 4);
  CHECK(a.general->films[kLayer1x1PostFilm].groups == 8);
  // Condition model: (2-1)*(1+2) + (3-1)*(1+3+5) = 21; the WaveNet: (4-1)*(1+2) = 9; plus 1.
  CHECK(max.model->receptive_field() == 21 + 9 + 1);
  const LoadedModel dsp = load_model(kNam07 + "wavenet_condition_dsp.nam");
  CHECK(dsp.model->num_params() == 147 - 1);
  CHECK(dsp.model->receptive_field() == (2 + 4 + 16) + (2 + 4 + 16) + 1);
}

// Written back, each file reads as the same model (its 0.6 keys and its condition model included).
TEST_CASE("NAM's 0.6 test files round-trip through the writer") {
  for (const std::string file : {"wavenet_a2_max.nam", "wavenet_condition_dsp.nam"}) {
    CAPTURE(file);
    auto m = load_model(kNam07 + file).model;
    const std::string text = model_to_json(*m);
    auto back = model_from_json(text, file).model;
    CHECK(back->params() == m->params());
    CHECK(model_to_json(*back) == text);
    const Mat x = random_signal(500, 3);
    m->prepare(64);
    back->prepare(64);
    CHECK((stream_output(*m, x, {64}).array() == stream_output(*back, x, {64}).array()).all());
  }
}

TEST_CASE("slimmable_wavenet.nam: full size by default, cut to 1, 2 or 3 channels by slim value") {
  const std::string f = kNam07 + "slimmable_wavenet.nam";
  const LoadedModel full = load_model(f);
  CHECK(full.slim_max_values == std::vector<double>{1.0 / 3, 2.0 / 3, 1.0});
  CHECK(full.slim_choice == 2u);
  CHECK(full.model->config().wavenet.layers.at(0).channels == 3);
  for (auto [slim, channels] : {std::pair{0.0, 1}, std::pair{0.34, 2}, std::pair{0.7, 3}, std::pair{1.0, 3}}) {
    CAPTURE(slim);
    const LoadedModel cut = load_model(f, slim);
    CHECK(cut.model->config().wavenet.layers.at(0).channels == channels);
    CHECK(cut.model->receptive_field() == full.model->receptive_field());
  }
  // The corner of each tensor: the cut rechannel is the full one's first row(s).
  const LoadedModel one = load_model(f, 0.1);
  CHECK(one.model->params()[0] == full.model->params()[0]);
}

TEST_CASE("the a2-lite and a2-full presets are A2.nam's two submodels") {
  for (const auto& [preset, slim] : {std::pair{std::string("a2-lite"), 0.25}, std::pair{std::string("a2-full"), 1.0}}) {
    CAPTURE(preset);
    const LoadedModel file = load_model(kNam07 + "A2.nam", slim);
    auto m = make_model(preset);
    const LayerArrayConfig& a = m->config().wavenet.layers.at(0);
    const LayerArrayConfig& b = file.model->config().wavenet.layers.at(0);
    REQUIRE(m->num_params() == file.model->num_params());
    CHECK(m->receptive_field() == file.model->receptive_field());
    CHECK(a.channels == b.channels);
    CHECK(a.dilations == b.dilations);
    CHECK(a.head_size == b.head_size);
    CHECK(a.head_kernel_size == b.head_kernel_size);
    CHECK(a.head_bias == b.head_bias);
    for (size_t i = 0; i < a.dilations.size(); ++i) {
      CHECK(a.layer_kernel_size(i) == b.layer_kernel_size(i));
      CHECK(a.layer_activation(i) == b.layer_activation(i));
      CHECK(a.layer_gated(i) == b.layer_gated(i));
    }
    CHECK(m->config().wavenet.head_scale == doctest::Approx(file.model->config().wavenet.head_scale));
    // With the file's weights the preset computes what the file's model computes.
    m->params() = file.model->params();
    const Mat x = random_signal(m->receptive_field() + 500, 3);
    CHECK((graph_output(*m, x, {}) - graph_output(*file.model, x, {})).cwiseAbs().maxCoeff() < 1e-6);
  }
}
