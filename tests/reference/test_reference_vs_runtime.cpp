// The reference evaluator against nam-knobs' own runtime (nn/) on what the runtime reads: NAM's
// 0.5.x files, the 0.7 files whose options nn/ implements (A2, SlimmableContainers), and plain
// models of every architecture the runtime writes as .nam files.
// The two share no code, so agreement checks the reference on the semantics the runtime is
// already tested to match (tests/nn), and the runtime on the reference's reading of the format.
#include <doctest/doctest.h>

#include <cmath>

#include "nam_reference.h"
#include "nn/knob_inputs.h"
#include "nn/model_file.h"
#include "nn/model_test_util.h"
#include "reference_test_util.h"

using namespace namk;
using namespace namk::test;
using reference::ReferenceModel;
using reference::RenderOptions;

namespace {

// Streams x through the runtime from reset and pre-warm, in blocks of 64.
std::vector<double> runtime_render(Model& m, const std::vector<double>& x) {
  m.prepare(64);
  m.reset();
  m.prewarm();
  std::vector<float> in(x.begin(), x.end()), out(x.size());
  for (size_t at = 0; at < x.size(); at += 64) {
    const int n = static_cast<int>(std::min<size_t>(64, x.size() - at));
    m.process(in.data() + at, out.data() + at, n);
  }
  return std::vector<double>(out.begin(), out.end());
}

// The input as the runtime sees it (float32), so both start from the same numbers.
std::vector<double> float_signal(size_t n, unsigned seed) {
  std::vector<double> x = test_signal(n, seed);
  for (double& v : x) v = static_cast<float>(v);
  return x;
}

void check_agree(const std::vector<double>& runtime, const std::vector<double>& ref,
                 double relative) {
  const double scale = max_abs(ref);
  CHECK(scale > 1e-3);
  CHECK(max_abs_difference(runtime, ref) <= relative * scale);
}

// The error-to-signal ratio's square root: the runtime's RMS error relative to the reference's RMS.
double relative_rms_error(const std::vector<double>& runtime, const std::vector<double>& ref) {
  double e = 0, s = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    e += (runtime[i] - ref[i]) * (runtime[i] - ref[i]);
    s += ref[i] * ref[i];
  }
  return std::sqrt(e / s);
}

// A slimmable file at one slim value: the runtime's render of x against the reference's, to 1e-5
// in RMS and 2e-5 of the peak at every sample. prewarm_samples: the reference's pre-warm where it
// must differ from its own (0: its own).
void check_slim_agrees(const std::string& file, const ReferenceModel& ref, double slim, const std::vector<double>& x,
                       int prewarm_samples = 0) {
  auto m = load_model(file, slim).model;
  RenderOptions o;
  o.slim = slim;
  if (prewarm_samples > 0) o.prewarm_samples = prewarm_samples;
  const std::vector<double> want = ref.render(x, o), got = runtime_render(*m, x);
  MESSAGE(file << " slim " << slim << ": relative RMS error " << relative_rms_error(got, want)
               << ", max error / peak " << max_abs_difference(got, want) / max_abs(want));
  CHECK(relative_rms_error(got, want) <= 1e-5);
  check_agree(got, want, 2e-5);
}

}  // namespace

TEST_CASE("NAM's 0.5.x WaveNets: the runtime and the reference agree to float precision") {
  for (const std::string& f : {kNam05 + "wavenet.nam", kNam05 + "wavenet_a1_standard.nam"}) {
    CAPTURE(f);
    const std::vector<double> x = float_signal(6000, 3);
    auto m = load_model(f).model;
    check_agree(runtime_render(*m, x), ReferenceModel::load(f).render(x), 2e-5);
  }
}

TEST_CASE("NAM's 0.5.x LSTM: the runtime and the reference agree (both pre-warmed one sample)") {
  // The runtime pre-warms an LSTM with one sample of silence where NAM's runtime uses half a
  // second (docs/model_format.md): compare like with like.
  const std::vector<double> x = float_signal(3000, 4);
  auto m = load_model(kNam05 + "lstm.nam").model;
  RenderOptions one;
  one.prewarm_samples = 1;
  check_agree(runtime_render(*m, x), ReferenceModel::load(kNam05 + "lstm.nam").render(x, one),
              2e-5);
}

TEST_CASE("every architecture the runtime writes as .nam reads back the same in the reference") {
  // Named references, not a structured binding: CAPTURE's lambda cannot capture one before clang 16.
  for (const auto& entry : {std::pair{std::string("wavenet"), tiny_wavenet()},
                            std::pair{std::string("wavenet gated K=2"), tiny_wavenet(true, 2)},
                            std::pair{std::string("lstm 2 layers"), tiny_lstm()},
                            std::pair{std::string("convnet"), tiny_convnet()}}) {
    const std::string& name = entry.first;
    const auto& config = entry.second;
    CAPTURE(name);
    auto m = make_model(config);
    randomise(*m, 11, 0.4);
    const std::vector<double> x = float_signal(1500, 5);
    const ReferenceModel ref = ReferenceModel::from_json(model_to_json(*m), name + ".nam");
    RenderOptions o;
    if (name.rfind("lstm", 0) == 0) o.prewarm_samples = 1;
    check_agree(runtime_render(*m, x), ref.render(x, o), 2e-5);
  }
}

// NAM's runtime reads a Linear model's weights as an impulse response (the first weight is the
// present sample); nam-knobs keeps PyTorch's convolution order inside (the last tap is the present
// sample) and reverses the taps when it reads or writes a file (nn/architecture.h). Before that,
// every Linear file rendered time-reversed.
TEST_CASE("Linear: the runtime and the reference agree on the tap order") {
  auto m = make_model(tiny_linear());
  randomise(*m, 11, 0.4);
  const std::vector<double> x = float_signal(1500, 5);
  const LoadedModel loaded = model_from_json(model_to_json(*m), "linear.nam");
  check_agree(runtime_render(*loaded.model, x), ReferenceModel::from_json(model_to_json(*m), "linear.nam").render(x), 2e-5);
  check_agree(runtime_render(*m, x), runtime_render(*loaded.model, x), 0);
}

// A2 (0.7.0): a SlimmableContainer of two WaveNets with per-layer kernel sizes, LeakyReLU given as
// an object, and an array head of 16 taps with a bias. Both sizes, each pre-warmed as NAM does.
TEST_CASE("NAM 0.7's A2, lite and full: the runtime and the reference agree to 1e-5") {
  const std::string f = kNam07 + "A2.nam";
  const ReferenceModel ref = ReferenceModel::load(f);
  for (double slim : {0.25, 0.5, 1.0}) {
    CAPTURE(slim);
    const LoadedModel loaded = load_model(f, slim);
    CHECK(loaded.slim_choice == (slim < 0.5 ? 0u : 1u));
    CHECK(loaded.model->receptive_field() == ref.prewarm_samples(slim));
    check_slim_agrees(f, ref, slim, float_signal(8000, 6));
  }
}

TEST_CASE("NAM 0.7's slimmable_container: every submodel agrees with the reference") {
  const std::string f = kNam07 + "slimmable_container.nam";
  const ReferenceModel ref = ReferenceModel::load(f);
  for (double slim : {0.1, 0.5, 1.0}) {
    CAPTURE(slim);
    // The LSTM (below 0.33) is pre-warmed with one sample, as in the 0.5.x LSTM test above.
    check_slim_agrees(f, ref, slim, float_signal(3000, 7), slim < 0.33 ? 1 : 0);
  }
}

// Export writes the 0.7 keys A2 needs (0.5 has no place for them), and the reference reads it back.
TEST_CASE("an A2 model written by the runtime reads back the same in the reference") {
  const LoadedModel a2 = load_model(kNam07 + "A2.nam", 0.25);
  const std::string text = model_to_json(*a2.model);
  CHECK(text.find("\"version\": \"0.7.0\"") != std::string::npos);
  const std::vector<double> x = float_signal(3000, 8);
  check_agree(runtime_render(*model_from_json(text, "a2.nam").model, x),
              ReferenceModel::from_json(text, "a2.nam").render(x), 2e-5);
}

TEST_CASE("NAM 0.7's slimmable_wavenet: every width agrees with the reference") {
  const std::string f = kNam07 + "slimmable_wavenet.nam";
  const ReferenceModel ref = ReferenceModel::load(f);
  for (double slim : {0.0, 0.5, 0.9, 1.0}) {
    CAPTURE(slim);
    check_slim_agrees(f, ref, slim, float_signal(3000, 9));
  }
}

// NAM 0.6's layer options, one family at a time on small random models (written by the runtime,
// which exercises its writer, then read by both).
TEST_CASE("NAM 0.6's layer options: the runtime and the reference agree on each") {
  for (const auto& variant : wavenet_06_variants()) {
    const std::string& name = variant.first;
    CAPTURE(name);
    auto m = make_model(variant.second);
    randomise(*m, 21, 0.5);
    const std::string text = model_to_json(*m);
    const std::vector<double> x = float_signal(2000, 10);
    const std::vector<double> want = ReferenceModel::from_json(text, "options.nam").render(x),
                              got = runtime_render(*model_from_json(text, "options.nam").model, x);
    MESSAGE(name << ": relative RMS error " << relative_rms_error(got, want));
    CHECK(relative_rms_error(got, want) <= 1e-5);
    check_agree(got, want, 2e-5);
  }
}

// NAM's own test files of the 0.6 options: wavenet_a2_max (every option at once, FiLM groups fed
// by an 8-channel condition_dsp that has FiLM and groups of its own) and wavenet_condition_dsp.
TEST_CASE("NAM 0.6's option test files: the runtime and the reference agree") {
  for (const std::string file : {"wavenet_a2_max.nam", "wavenet_condition_dsp.nam"}) {
    CAPTURE(file);
    const std::string f = kNam07 + file;
    const ReferenceModel ref = ReferenceModel::load(f);
    auto m = load_model(f).model;
    CHECK(m->receptive_field() == ref.prewarm_samples(1.0));
    const std::vector<double> x = float_signal(4000, 11);
    const std::vector<double> want = ref.render(x), got = runtime_render(*m, x);
    MESSAGE(file << ": relative RMS error " << relative_rms_error(got, want) << ", max error / peak "
                 << max_abs_difference(got, want) / max_abs(want));
    CHECK(relative_rms_error(got, want) <= 1e-5);
    check_agree(got, want, 2e-5);
  }
}

namespace {

// The runtime's render of a knob model at one setting (the knobs set before reset and pre-warm).
std::vector<double> runtime_render_at(Model& m, const std::vector<double>& x, const std::vector<double>& knobs) {
  m.prepare(64);
  for (size_t k = 0; k < knobs.size(); ++k) m.set_knob(static_cast<Index>(k), knobs[k]);
  m.reset();
  return runtime_render(m, x);
}

// Small random knob WaveNets (two knobs: gain 0..10, tone -1..1, so the normalisation's offset is
// not zero) in each conditioning the export expresses.
std::vector<std::pair<std::string, ModelConfig>> knob_input_variants() {
  std::vector<std::pair<std::string, ModelConfig>> v;
  for (auto [name, base] : {std::pair{std::string("wavenet"), tiny_wavenet()},
                            std::pair{std::string("wavenet gated K=2"), tiny_wavenet(true, 2)},
                            std::pair{std::string("wavenet 0.7 keys"), tiny_wavenet_07()}}) {
    v.push_back({name + " concat", with_two_knobs(base, Conditioning::Concat)});
    for (bool shift : {true, false}) {
      ModelConfig c = with_two_knobs(base, Conditioning::Film);
      c.film.hidden = 5;
      c.film.shift = shift;
      v.push_back({name + " film" + (shift ? "" : " scale-only"), c});
    }
  }
  // A hidden activation whose value at 0 is not 0 (the condition model takes it off the audio row).
  ModelConfig sigmoid = with_two_knobs(tiny_wavenet(), Conditioning::Film);
  sigmoid.film.activation = Activation::Sigmoid;
  v.push_back({"wavenet film sigmoid hidden", sigmoid});
  // Separable FiLM: randomise() fills the cross-knob weights too, which the conditioner ignores,
  // so the export must write them as zeros.
  ModelConfig separable = with_two_knobs(tiny_wavenet(), Conditioning::Film);
  separable.film.hidden = 3;
  separable.film.separable = true;
  v.push_back({"wavenet film separable", separable});
  return v;
}

// Sigmoid's hidden units are all positive, so at the same weight scale the FiLM gains grow and the
// model amplifies float32 rounding: at 0.5 the runtime's own baked plain model differs from the
// reference by 5e-6. A smaller scale keeps the comparison about the construction.
std::unique_ptr<Model> random_knob_model(const ModelConfig& config, uint64_t seed) {
  auto m = make_model(config);
  randomise(*m, seed, config.film.activation == Activation::Sigmoid ? 0.3 : 0.5);
  return m;
}

}  // namespace

// export --knobs-as-inputs: the file, run by the reference with the raw knob values on input
// channels 1 and 2, renders what the knob model renders at that setting, and what the reference
// renders from the setting baked into a plain file (both in double: the construction alone).
TEST_CASE("a knob model exported with its knobs as input channels: the reference renders it as the runtime") {
  const std::vector<double> x = float_signal(2000, 12);
  const std::vector<std::vector<double>> settings = {{0, -1}, {2.5, 0.3}, {10, 1}, {7, -0.6}};
  for (const auto& variant : knob_input_variants()) {
    const std::string& name = variant.first;
    const ModelConfig& config = variant.second;
    CAPTURE(name);
    auto m = random_knob_model(config, 31);
    const std::string text = knob_inputs_json(*m, {}, name + ".nam");
    CHECK(text.find("\"in_channels\": 3") != std::string::npos);
    CHECK(text.find(R"("namk_knob_inputs": [{"channel": 1, "name": "gain", "min": 0, "max": 10, "default": 5)") !=
          std::string::npos);
    const ReferenceModel ref = ReferenceModel::from_json(text, name + ".nam");
    CHECK(ref.in_channels() == 3);
    double worst = 0, worst_baked = 0;
    for (const std::vector<double>& knobs : settings) {
      CAPTURE(knobs[0]);
      CAPTURE(knobs[1]);
      RenderOptions o;
      o.inputs = knobs;
      const std::vector<double> want = ref.render(x, o), got = runtime_render_at(*m, x, knobs);
      const std::vector<double> baked =
          ReferenceModel::from_json(model_to_json(*m->baked(knobs)), "baked.nam").render(x);
      CHECK(max_abs(want) > 1e-3);
      worst = std::max(worst, relative_rms_error(got, want));
      worst_baked = std::max(worst_baked, relative_rms_error(baked, want));
      CHECK(relative_rms_error(got, want) <= 1e-6);
      CHECK(relative_rms_error(baked, want) <= 1e-6);
    }
    MESSAGE(name << ", worst relative RMS error over " << settings.size() << " settings: against the runtime "
                 << worst << ", against the reference's render of the baked setting " << worst_baked);
  }
  // The knob channels are required: the reference names what it needs.
  auto m = make_model(with_two_knobs(tiny_wavenet(), Conditioning::Concat));
  const ReferenceModel ref = ReferenceModel::from_json(knob_inputs_json(*m, {}, "k.nam"), "k.nam");
  CHECK_THROWS_WITH(ref.render(x), doctest::Contains("3 input channels, the audio and 2 constant ones; got values for 0"));
}

TEST_CASE("export with knobs as inputs refuses what NAM's format cannot express, naming the file and why") {
  const auto refusal = [](ModelConfig c, const std::string& what) {
    auto m = make_model(c);
    CHECK_THROWS_WITH_AS(knob_inputs_json(*m, {}, "amp.nam"), doctest::Contains(what.c_str()), InputError);
    CHECK_THROWS_WITH(knob_inputs_json(*m, {}, "amp.nam"), doctest::Contains("amp.nam"));
  };
  refusal(with_two_knobs(tiny_tone_stack_wavenet(), Conditioning::Film), "tone stack is recursive filters");
  refusal(with_two_knobs(tiny_lstm(), Conditioning::Film), "found KnobLSTM");
  ModelConfig head = with_two_knobs(tiny_wavenet(), Conditioning::Film);
  head.film.head = true;
  refusal(head, "no FiLM site on a layer array's head output");
  ModelConfig slim = with_two_knobs(tiny_wavenet(), Conditioning::Concat);
  slim.wavenet.layers[1].slim_channels = {1, 2};
  refusal(slim, "a knob model is never slimmed");
  auto plain = make_model(tiny_wavenet());
  CHECK_THROWS_WITH_AS(knob_inputs_json(*plain, {}, "plain.nam"), doctest::Contains("plain.nam has no knobs"),
                       UsageError);
}

// nam-knobs reads such a file back as a knob model whose knobs are the extra input channels: it
// renders as the knob model it came from, and is written back unchanged.
TEST_CASE("a file with knobs as input channels loads back as a knob model") {
  const std::vector<double> x = float_signal(1500, 13);
  for (const auto& variant : knob_input_variants()) {
    const std::string& name = variant.first;
    const ModelConfig& config = variant.second;
    CAPTURE(name);
    auto m = random_knob_model(config, 32);
    const std::string text = knob_inputs_json(*m, {}, "in.nam");
    const LoadedModel loaded = model_from_json(text, "in.nam");
    Model& back = *loaded.model;
    REQUIRE(back.knobs().size() == 2);
    CHECK(back.knobs()[1].name == "tone");
    CHECK(back.knobs()[1].min == -1);
    CHECK(back.knobs()[1].default_value == 0);
    CHECK(back.receptive_field() == ReferenceModel::from_json(text, "in.nam").prewarm_samples());
    double worst = 0;
    for (const std::vector<double>& knobs : {std::vector<double>{2.5, 0.3}, std::vector<double>{9, -0.8}}) {
      const std::vector<double> want = runtime_render_at(*m, x, knobs), got = runtime_render_at(back, x, knobs);
      worst = std::max(worst, relative_rms_error(got, want));
      CHECK(relative_rms_error(got, want) <= 1e-6);
    }
    MESSAGE(name << ": read back, worst relative RMS error against the knob model " << worst);
    CHECK(model_to_json(back, loaded.metadata) == text);
    CHECK(knob_inputs_json(back, loaded.metadata, "in.nam") == text);
    // Inference only, and no plain one-input form.
    Tape t;
    const Var in = t.constant(Mat::Zero(1, back.receptive_field()));
    std::vector<Scalar> grad(static_cast<size_t>(back.num_params()));
    CHECK_THROWS_WITH_AS(back.forward(t, in, std::vector<double>{5, 0}, grad.data()),
                         doctest::Contains("with knob input channels: it runs for inference only"), UsageError);
    CHECK_THROWS_WITH_AS(back.baked(std::vector<double>{5, 0}), doctest::Contains("reads its knobs as input channels"),
                         UsageError);
  }
}

TEST_CASE("a file with input channels is refused unless its metadata lists that many knobs in channel order") {
  auto m = make_model(with_two_knobs(tiny_wavenet(), Conditioning::Concat));
  const std::string text = knob_inputs_json(*m, {}, "k.nam");
  const auto refused = [](std::string t, const std::string& what) {
    CHECK_THROWS_WITH_AS(model_from_json(t, "k.nam"), doctest::Contains(what.c_str()), InputError);
  };
  const size_t key = text.find("\"namk_knob_inputs\"");
  REQUIRE(key != std::string::npos);
  std::string unlisted = text;
  unlisted.replace(key, 18, "\"other_key\"");
  refused(unlisted, "k.nam: metadata.namk_knob_inputs: expected the knobs feeding input channels 1..2 "
                    "(config.in_channels is 3");
  std::string swapped = text;
  swapped.replace(swapped.find("\"channel\": 1"), 12, "\"channel\": 2");
  refused(swapped, "metadata.namk_knob_inputs[0].channel: expected 1 (the entries in channel order), found the number 2");
  std::string one = text;
  const size_t second = one.find(", {\"channel\": 2");
  one.erase(second, one.find(']', second) - second);
  refused(one, "expected 2 knobs (config.in_channels - 1), found 1");
}
