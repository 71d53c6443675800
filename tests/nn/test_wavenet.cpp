// WaveNet: NAM's presets (parameter counts, receptive fields) and the streaming path against the
// training graph for every conditioning method and block size.
#include <doctest/doctest.h>

#include "core/kernels/residual_layer_planar.h"
#include "model_test_util.h"
#include "nn/model_file.h"
#include "nn/wavenet.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("WaveNet presets have NAM's parameter counts and receptive fields") {
  struct Expect {
    const char* name;
    Index params;
  };
  for (Expect e : {Expect{"standard", 13801}, Expect{"lite", 6553}, Expect{"feather", 3025},
                   Expect{"nano", 841}}) {
    CAPTURE(std::string(e.name));
    auto m = make_model(e.name);
    CHECK(m->num_params() == e.params);
    CHECK(m->architecture_params() == e.params);
    CHECK(m->receptive_field() == 4093);
  }
  CHECK_THROWS_WITH_AS(make_model("huge"), doctest::Contains("standard, lite, feather, nano"),
                       InputError);
}

TEST_CASE("FiLM adds the conditioner's parameters and nothing to the receptive field") {
  for (std::string name : {"standard", "lite", "feather", "nano"}) {
    CAPTURE(name);
    ModelConfig c = preset_config(name);
    auto plain = make_model(c);
    c.knobs = {KnobSpec{"gain", 0, 10, 5, ""}};
    auto film = make_model(c);
    CHECK(film->receptive_field() == plain->receptive_field());
    // FiLM sites: every layer's z, gamma and beta: knobs -> 16 -> F.
    Index f = 0;
    for (const auto& a : c.wavenet.layers) f += 2 * a.channels * Index(a.dilations.size());
    CHECK(film->num_params() == plain->num_params() + 16 * 1 + 16 + 16 * f + f);
    MESSAGE(name << ": " << plain->num_params() << " params, with 1-knob FiLM "
                 << film->num_params() << " (+" << film->num_params() - plain->num_params()
                 << "); FLOPs/sample " << plain->flops_per_sample() << " / "
                 << film->flops_per_sample());
    c.conditioning = Conditioning::Concat;
    auto concat = make_model(c);
    Index extra = 0;
    for (const auto& a : c.wavenet.layers) extra += a.channels * Index(a.dilations.size());
    CHECK(concat->num_params() == plain->num_params() + extra);
  }
}

TEST_CASE("untrained FiLM model equals the model without knobs") {
  ModelConfig c = tiny_wavenet();
  auto plain = make_model(c);
  c.knobs = two_knobs();
  auto film = make_model(c);
  plain->init_params(7);
  film->init_params(7);
  const Mat x = random_signal(200, 1);
  const Mat y0 = graph_output(*plain, x, {});
  CHECK((graph_output(*film, x, {0.0, -1.0}) - y0).cwiseAbs().maxCoeff() == 0);
  CHECK((graph_output(*film, x, {10.0, 0.3}) - y0).cwiseAbs().maxCoeff() == 0);
  CHECK(y0.cwiseAbs().maxCoeff() > 1e-3);  // not trivially zero
}

namespace {
struct Variant {
  std::string name;
  ModelConfig config;
};

std::vector<Variant> variants() {
  std::vector<Variant> v;
  v.push_back({"no knobs", tiny_wavenet()});
  v.push_back({"no knobs, gated, K=2", tiny_wavenet(true, 2)});
  ModelConfig film = tiny_wavenet();
  film.knobs = two_knobs();
  v.push_back({"film", film});
  ModelConfig film_gated = tiny_wavenet(true);
  film_gated.knobs = two_knobs();
  film_gated.film.shift = false;
  film_gated.film.head = true;
  film_gated.film.activation = Activation::ReLU;
  v.push_back({"film gated, scale-only, head", film_gated});
  ModelConfig concat = tiny_wavenet();
  concat.knobs = two_knobs();
  concat.conditioning = Conditioning::Concat;
  v.push_back({"concat", concat});
  return v;
}
}  // namespace

TEST_CASE("WaveNet streaming equals the training graph for any block sizes") {
  for (const Variant& variant : variants()) {
    CAPTURE(variant.name);
    auto m = make_model(variant.config);
    randomise(*m, 11);
    check_streams_like_graph(*m, random_signal(5000, 3), {7.5, -0.25});
  }
}

TEST_CASE("standard preset streams the same bits at block sizes 1, 64 and 4096, and as its graph") {
  // Every conv of the standard preset has <= 32 output channels, so it takes the column kernel whose
  // result for a time step does not depend on the block (conv1d.h): rendering at any block size
  // gives byte-identical files (issue 6), and the training forward computes the very same bits.
  auto m = make_model(preset_config("standard"));
  randomise(*m, 7, 0.3);
  m->prepare(4096);
  const Mat x = random_signal(m->receptive_field() + 3000, 4);
  const Mat one = stream_output(*m, x, {1});
  m->reset();
  const Mat block64 = stream_output(*m, x, {64});
  m->reset();
  const Mat block4096 = stream_output(*m, x, {4096});
  CHECK((one.array() == block64.array()).all());
  CHECK((one.array() == block4096.array()).all());
  const Mat graph = graph_output(*m, x, {});
  CHECK((one.rightCols(graph.cols()).array() == graph.array()).all());
  CHECK(graph.cwiseAbs().maxCoeff() > 1e-3);
}

// Layer arrays whose every layer is small (<= 12 channels, not gated; tanh, LeakyReLU or identity)
// stream time-major on planes (LayerArray::process_planar, where kPlanarStreaming); the training
// graph keeps columns. A2-lite's shape cut short (K = 6 and 15, a 16-tap head), and two arrays (the
// second's skip input is the first's head) with LeakyReLU then identity, with tanh in both
// (nano's form), of 8 and 6 channels (feather's and lite's second arrays' widths), of 12 and 6
// (lite's) and of 10 (LeakyReLU) and 6, without knobs, with FiLM and with concat (three condition
// rows): the same bits at any block size, and the graph's bits where the planar path runs (else its
// values to rounding: the tiled layer's conv adds in another order).
TEST_CASE("small-channel arrays stream the same bits at any block size, and as their graph") {
  ModelConfig a2;
  LayerArrayConfig a;
  a.channels = 3;
  a.head_size = 1;
  a.head_bias = true;
  a.head_kernel_size = 16;
  a.activation = Activation::LeakyReLU;
  a.dilations = {1, 3, 7, 17, 2};
  a.kernel_sizes = {6, 6, 15, 6, 6};
  a2.wavenet.layers = {a};
  a2.wavenet.head_scale = 0.01;
  ModelConfig two = tiny_wavenet(false, 6);
  two.wavenet.layers[0].activation = Activation::LeakyReLU;
  two.wavenet.layers[1].activation = Activation::Identity;
  const ModelConfig two_tanh = tiny_wavenet(false, 6);
  REQUIRE(two_tanh.wavenet.layers[0].activation == Activation::Tanh);
  REQUIRE(two_tanh.wavenet.layers[1].activation == Activation::Tanh);
  ModelConfig wider = tiny_wavenet(false, 3);
  wider.wavenet.layers[0].channels = 8;
  wider.wavenet.layers[1].input_size = 8;
  wider.wavenet.layers[1].channels = 6;
  wider.wavenet.layers[0].head_size = 6;
  // Past 8 channels the planar layers add in the column kernel's order (lite's 12), and the
  // 12-channel rechannel stays a column conv whose output goes to planes.
  ModelConfig widest = wider;
  widest.wavenet.layers[0].channels = 12;
  widest.wavenet.layers[1].input_size = 12;
  ModelConfig ten_leaky = widest;
  ten_leaky.wavenet.layers[0].channels = 10;
  ten_leaky.wavenet.layers[1].input_size = 10;
  ten_leaky.wavenet.layers[0].activation = Activation::LeakyReLU;
  for (const auto& [name, base] : std::vector<std::pair<std::string, ModelConfig>>{
           {"a2-like", a2},
           {"two arrays", two},
           {"two arrays, tanh", two_tanh},
           {"8 and 6 channels", wider},
           {"12 and 6 channels", widest},
           {"10 (LeakyReLU) and 6 channels", ten_leaky}})
    for (int knobs = 0; knobs < 3; ++knobs) {
      ModelConfig c = knobs == 0 ? base : with_two_knobs(base, knobs == 1 ? Conditioning::Film : Conditioning::Concat);
      c.film.hidden = 4;
      const std::string& label = name;  // clang 14 cannot capture a structured binding (CAPTURE does)
      CAPTURE(label);
      CAPTURE(knobs);
      auto m = make_model(c);
      randomise(*m, 31, 0.4);
      m->set_smoothing_ms(0);
      const std::vector<double> kv = knobs == 0 ? std::vector<double>{} : std::vector<double>{7.5, -0.25};
      for (size_t k = 0; k < kv.size(); ++k) m->set_knob(Index(k), kv[k]);
      m->prepare(4096);
      const Mat x = random_signal(m->receptive_field() + 3000, 6);
      const Mat one = stream_output(*m, x, {1});
      for (const std::vector<int>& blocks : kBlockSweeps) {
        CAPTURE(blocks.front());
        m->reset();
        CHECK((stream_output(*m, x, blocks).array() == one.array()).all());
      }
      const Mat graph = graph_output(*m, x, kv);
      CHECK(graph.cwiseAbs().maxCoeff() > 1e-3);
      if (kPlanarStreaming)
        CHECK((one.rightCols(graph.cols()).array() == graph.array()).all());
      else
        CHECK((one.rightCols(graph.cols()) - graph).cwiseAbs().maxCoeff() < 1e-5);
    }
}

TEST_CASE("standard preset with FiLM streams like its graph") {
  ModelConfig c = preset_config("standard");
  c.knobs = two_knobs();
  auto m = make_model(c);
  randomise(*m, 5, 0.2);
  m->set_smoothing_ms(0);
  m->prepare(64);
  m->set_knob("gain", 2.0);
  m->set_knob("tone", 0.5);
  const Mat x = random_signal(m->receptive_field() + 2000, 9);
  const Mat graph = graph_output(*m, x, {2.0, 0.5});
  const Mat stream = stream_output(*m, x, {64, 13, 64, 1});
  CHECK((stream.rightCols(graph.cols()) - graph).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("a knob change between blocks (smoothing off) switches to the new knobs' output") {
  for (Conditioning method : {Conditioning::Film, Conditioning::Concat}) {
    ModelConfig c = with_two_knobs(tiny_wavenet(), method);
    c.smoothing_ms = 0;
    auto m = make_model(c);
    randomise(*m, 21);
    m->prepare(32);
    const Mat x = random_signal(3000, 4);
    const Index change = 1500, r = m->receptive_field();
    m->set_knob("gain", 1.0);
    Mat y(1, x.cols());
    for (Index pos = 0; pos < x.cols(); pos += 20) {
      if (pos == change - change % 20) m->set_knob("gain", 9.0);
      m->process(x.data() + pos, y.data() + pos, int(std::min<Index>(20, x.cols() - pos)));
    }
    const Index at = change - change % 20;
    const Mat before = graph_output(*m, x.leftCols(at), {1.0, 0.0});
    const Mat after = graph_output(*m, x, {9.0, 0.0});
    CHECK((y.middleCols(r - 1, before.cols()) - before).cwiseAbs().maxCoeff() < 1e-5);
    // Once the new knobs have filled the history, the output is the new knobs' graph...
    const Index settled = at + r - 1;
    CHECK((y.rightCols(x.cols() - settled) - after.rightCols(x.cols() - settled)).cwiseAbs().maxCoeff() < 1e-5);
    // ...and the very first block after the change already differs from the old knobs'.
    const Mat old_knobs = graph_output(*m, x, {1.0, 0.0});
    CHECK((y.middleCols(at, 20) - old_knobs.middleCols(at - r + 1, 20)).cwiseAbs().maxCoeff() > 1e-4);
  }
}

TEST_CASE("invalid WaveNet configs are rejected with the field named") {
  ModelConfig c = tiny_wavenet();
  c.wavenet.layers[1].input_size = 5;
  CHECK_THROWS_WITH_AS(make_model(c), doctest::Contains("config.layers[1].input_size"), InputError);
  c = tiny_wavenet();
  c.wavenet.layers[0].head_size = 4;
  CHECK_THROWS_WITH_AS(make_model(c), doctest::Contains("config.layers[0].head_size"), InputError);
  auto m = make_model(tiny_wavenet());
  Tape t;
  CHECK_THROWS_AS(m->forward(t, t.constant(Mat::Zero(1, 5)), {}, nullptr), UsageError);
  CHECK_THROWS_AS(m->set_knob("gain", 1.0), UsageError);
  // Before prepare() process() has no history to use: it writes silence rather than failing.
  std::vector<Scalar> in(8, Scalar(0.5)), out(8, Scalar(1));
  m->process(in.data(), out.data(), 8);
  CHECK(std::all_of(out.begin(), out.end(), [](Scalar v) { return v == 0; }));
}

// NAM 0.7's options (per-layer kernels, activations and gating; heads that look back): streaming
// equals the training graph, and every block size streams the same bits.
TEST_CASE("WaveNet with NAM 0.7's options streams like its graph, bit-identical across block sizes") {
  for (const auto& variant : wavenet_07_variants()) {
    const auto& [name, config] = variant;
    CAPTURE(variant.first);  // not the binding: clang before 16 cannot capture one in CAPTURE's lambda
    auto m = make_model(config);
    randomise(*m, 12);
    m->set_smoothing_ms(0);
    m->prepare(256);
    const std::vector<double> knobs = m->knobs().empty() ? std::vector<double>{} : std::vector<double>{2.5, 0.75};
    for (size_t k = 0; k < knobs.size(); ++k) m->set_knob(Index(k), knobs[k]);
    const Mat x = random_signal(3000, 5);
    const Mat graph = graph_output(*m, x, knobs);
    REQUIRE(graph.cols() == x.cols() - m->receptive_field() + 1);
    CHECK(graph.cwiseAbs().maxCoeff() > 1e-3);
    m->reset();
    const Mat one = stream_output(*m, x, {1});
    CHECK((one.rightCols(graph.cols()) - graph).cwiseAbs().maxCoeff() < 1e-5);
    for (const std::vector<int>& blocks : std::vector<std::vector<int>>{{16}, {64}, {13}, {256}, {3, 1, 50, 17, 200}}) {
      CAPTURE(blocks.front());
      m->reset();
      CHECK((stream_output(*m, x, blocks).array() == one.array()).all());
    }
  }
}

TEST_CASE("NAM 0.7's options add the head's look-back to the receptive field") {
  const ModelConfig c = tiny_wavenet_07();
  // Array 1: (2-1)*1 + (4-1)*2 + (3-1)*4 + (4-1); array 2: (3-1)*8 + (5-1)*1 + (3-1); plus 1.
  CHECK(make_model(c)->receptive_field() == 1 + (1 + 6 + 8 + 3) + (16 + 4 + 2));
}

// NAM 0.6's layer options (the general residual layer) and condition_dsp: streaming equals the
// graph's values to the bit (both run the same code) and every block size streams the same bits.
TEST_CASE("WaveNet with NAM 0.6's layer options or a condition_dsp streams its graph's bits at any block size") {
  std::vector<std::pair<std::string, std::unique_ptr<Model>>> models;
  for (const auto& variant : wavenet_06_variants()) {
    models.emplace_back(variant.first, make_model(variant.second));
    randomise(*models.back().second, 13);
  }
  for (const char* file : {"wavenet_a2_max.nam", "wavenet_condition_dsp.nam"})
    models.emplace_back(file, load_model(std::string(NAMK_FIXTURES_DIR) + "/nam_models/" + file).model);
  for (auto& entry : models) {
    CAPTURE(entry.first);
    Model* m = entry.second.get();
    m->prepare(4096);
    const Mat x = random_signal(3000, 6);
    const Mat graph = graph_output(*m, x, {});
    REQUIRE(graph.cols() == x.cols() - m->receptive_field() + 1);
    CHECK(graph.cwiseAbs().maxCoeff() > 1e-3);
    for (const std::vector<int>& blocks : kBlockSweeps) {
      CAPTURE(blocks.front());
      m->reset();
      CHECK((stream_output(*m, x, blocks).rightCols(graph.cols()).array() == graph.array()).all());
    }
  }
}

// Training runs the general layers as tape ops (gradients are checked in test_gradcheck.cpp):
// their values equal streaming's to rounding.
TEST_CASE("NAM 0.6's layer options train: the tape graph equals streaming to rounding") {
  for (const auto& variant : wavenet_06_variants()) {
    CAPTURE(variant.first);
    auto m = make_model(variant.second);
    randomise(*m, 14);
    const Mat x = random_signal(1500, 7);
    Tape t;
    std::vector<Scalar> grad(static_cast<size_t>(m->num_params()), 0);
    const Mat graph = t.value(m->forward(t, t.constant(x), {}, grad.data()));
    m->prepare(64);
    m->reset();
    const Mat streamed = stream_output(*m, x, {64}).rightCols(graph.cols());
    CHECK(graph.cwiseAbs().maxCoeff() > 1e-3);
    CHECK((streamed - graph).cwiseAbs().maxCoeff() <= 1e-5 * graph.cwiseAbs().maxCoeff());
  }
}

TEST_CASE("condition_dsp is inference only, and NAM 0.6's layer options take no knobs") {
  const ModelConfig blended = wavenet_06(R"(, "gating_mode": "blended")");
  Tape t;
  auto dsp = load_model(std::string(NAMK_FIXTURES_DIR) + "/nam_models/wavenet_condition_dsp.nam").model;
  std::vector<Scalar> grad(static_cast<size_t>(dsp->num_params()));
  CHECK_THROWS_WITH_AS(dsp->forward(t, t.constant(random_signal(200, 1)), {}, grad.data()),
                       doctest::Contains("training a WaveNet with a condition_dsp: it runs for inference only"),
                       UsageError);
  ModelConfig knobs = blended;
  knobs.knobs = two_knobs();
  CHECK_THROWS_WITH_AS(make_model(knobs), doctest::Contains("config.layers: expected no NAM 0.6 layer options"),
                       InputError);
  // A ToneStackWaveNet's stages are trained with knobs: they cannot have them either.
  ModelConfig tone = tiny_tone_stack_wavenet();
  tone.tone_stack_wavenet.post.layers = blended.wavenet.layers;
  CHECK_THROWS_WITH_AS(make_model(tone), doctest::Contains("config.post: expected a stage without NAM 0.6 layer options or condition_dsp"),
                       InputError);
}
