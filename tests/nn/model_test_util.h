// Shared helpers for the model tests: small configs, random parameters, and the two ways of
// running a model (the training graph on a tape, and streaming in given block sizes).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "base/error.h"
#include "core/ops.h"
#include "nn/model.h"
#include "nn/model_config.h"

namespace namk::test {

// A small two-array WaveNet with every option reachable (kernel size, gating, head bias).
inline ModelConfig tiny_wavenet(bool gated = false, Index k = 3) {
  ModelConfig c;
  LayerArrayConfig a, b;
  a.channels = 3;
  a.head_size = 2;
  a.kernel_size = k;
  a.dilations = {1, 2, 4};
  a.gated = gated;
  b.input_size = 3;
  b.channels = 2;
  b.head_size = 1;
  b.kernel_size = k;
  b.dilations = {8, 1};
  b.gated = gated;
  b.head_bias = true;
  b.activation = Activation::Tanh;
  c.wavenet.layers = {a, b};
  c.wavenet.head_scale = 0.5;
  return c;
}

// NAM 0.6/0.7's WaveNet options the runtime implements, on tiny_wavenet(): per-layer kernel sizes,
// activations and gating, and array heads that look back (A2's has 16 taps). The first array's
// head then yields fewer columns than its residual stream: the second array must line up with it.
inline ModelConfig tiny_wavenet_07() {
  ModelConfig c = tiny_wavenet();
  LayerArrayConfig& a = c.wavenet.layers[0];
  a.kernel_sizes = {2, 4, 3};
  a.activations = {Activation::LeakyReLU, Activation::Softsign, Activation::Tanh};
  a.gated_layers = {false, true, false};
  a.head_kernel_size = 4;
  LayerArrayConfig& b = c.wavenet.layers[1];
  b.kernel_sizes = {3, 5};
  b.activations = {Activation::SiLU, Activation::Sigmoid};
  b.head_kernel_size = 3;
  return c;
}

inline ModelConfig tiny_convnet() {
  ModelConfig c;
  c.architecture = "ConvNet";
  c.convnet.channels = 3;
  c.convnet.dilations = {1, 2, 4, 8};
  return c;
}

inline ModelConfig tiny_linear(Index taps = 9, bool bias = true) {
  ModelConfig c;
  c.architecture = "Linear";
  c.linear.receptive_field = taps;
  c.linear.bias = bias;
  return c;
}

inline ModelConfig tiny_lstm(Index hidden = 4, Index layers = 2) {
  ModelConfig c;
  c.architecture = "LSTM";
  c.lstm.hidden_size = hidden;
  c.lstm.num_layers = layers;
  return c;
}

// A ToneStackWaveNet of two small one-array stages with two knobs (it needs knobs and FiLM).
inline ModelConfig tiny_tone_stack_wavenet() {
  ModelConfig c;
  c.architecture = "ToneStackWaveNet";
  LayerArrayConfig a;
  a.channels = 3;
  a.head_size = 1;
  a.dilations = {1, 2, 4};
  a.head_bias = true;
  c.tone_stack_wavenet.pre.layers = {a};
  c.tone_stack_wavenet.pre.head_scale = 0.5;
  a.channels = 2;
  a.dilations = {1, 8};
  c.tone_stack_wavenet.post.layers = {a};
  c.tone_stack_wavenet.post.head_scale = 0.8;
  c.knobs = {KnobSpec{"gain", 0, 10, 5, ""}, KnobSpec{"tone", -1, 1, 0, "dB"}};
  c.film.hidden = 4;
  return c;
}

// Every architecture with every conditioning method (none, FiLM, scale-only FiLM, concat).
inline std::vector<std::pair<std::string, ModelConfig>> all_variants();

inline std::vector<KnobSpec> two_knobs() {
  return {KnobSpec{"gain", 0, 10, 5, ""}, KnobSpec{"tone", -1, 1, 0, "dB"}};
}

// c with two_knobs() conditioned by method.
inline ModelConfig with_two_knobs(ModelConfig c, Conditioning method) {
  c.knobs = two_knobs();
  c.conditioning = method;
  return c;
}

// Block sizes for the streaming-equals-training tests: single samples, odd, the usual, larger than
// most receptive fields, and a mix.
inline const std::vector<std::vector<int>> kBlockSweeps = {{1}, {7}, {64}, {4096}, {3, 1, 50, 17, 200, 2, 999}};

// Random weights everywhere, the FiLM conditioner too (its init would make knobs do nothing).
inline void randomise(Model& m, uint64_t seed, double scale = 0.5) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  for (Index i = 0; i < m.num_params(); ++i) m.params()[i] = static_cast<Scalar>(u(rng));
}

inline std::vector<std::pair<std::string, ModelConfig>> all_variants() {
  std::vector<std::pair<std::string, ModelConfig>> v;
  for (auto [name, base] : {std::pair{std::string("wavenet"), tiny_wavenet()},
                            std::pair{std::string("wavenet gated K=2"), tiny_wavenet(true, 2)},
                            std::pair{std::string("lstm"), tiny_lstm()},
                            std::pair{std::string("convnet"), tiny_convnet()},
                            std::pair{std::string("linear"), tiny_linear()}}) {
    v.push_back({name, base});
    base.knobs = two_knobs();
    base.film.hidden = 4;  // small: the gradient checks visit every parameter
    v.push_back({name + " film", base});
    if (name == "wavenet") {  // the mask changes only the conditioner, which every architecture shares
      base.film.separable = true;
      v.push_back({name + " film separable", base});
      base.film.separable = false;
    }
    base.film.shift = false;
    base.film.head = true;
    v.push_back({name + " film scale-only (+head)", base});
    base.conditioning = Conditioning::Concat;
    v.push_back({name + " concat", base});
  }
  return v;
}

// tiny_wavenet_07() without knobs, with FiLM (heads modulated too) and with concat.
inline std::vector<std::pair<std::string, ModelConfig>> wavenet_07_variants() {
  std::vector<std::pair<std::string, ModelConfig>> v;
  ModelConfig c = tiny_wavenet_07();
  v.push_back({"0.7 options", c});
  c.knobs = two_knobs();
  c.film.hidden = 4;
  c.film.head = true;
  v.push_back({"0.7 options film (+head)", c});
  c.conditioning = Conditioning::Concat;
  v.push_back({"0.7 options concat", c});
  return v;
}

// A two-array WaveNet from NAM 0.6 keys: extra0 and extra1 are added to the arrays' configs (the
// first has 4 channels, the second `channels1`, which is the first's head_size).
inline ModelConfig wavenet_06(const std::string& extra0, const std::string& extra1 = "", int channels1 = 3) {
  const std::string c1 = std::to_string(channels1);
  const auto tanh_unless_given = [](const std::string& extra) {
    return extra.find("\"activation\":") == std::string::npos ? R"(, "activation": "Tanh")" + extra : extra;
  };
  const std::string text =
      R"({"architecture": "WaveNet", "config": {"head": null, "head_scale": 0.3, "layers": [)"
      R"({"input_size": 1, "condition_size": 1, "head_size": )" + c1 +
      R"(, "channels": 4, "kernel_size": 3, "dilations": [1, 2], "head_bias": false)" + tanh_unless_given(extra0) +
      R"(}, {"input_size": 4, "condition_size": 1, "head_size": 1, "channels": )" + c1 +
      R"(, "kernel_size": 2, "dilations": [1, 3], "head_bias": true)" + tanh_unless_given(extra1) + "}]}}";
  return model_config_from_json(Json::parse_string(text, "wavenet_06"));
}

// Each NAM 0.6 layer option the general residual layer runs, on wavenet_06().
inline std::vector<std::pair<std::string, ModelConfig>> wavenet_06_variants() {
  const std::string all_films = [] {
    std::string s;
    for (const char* site : {"conv_pre_film", "conv_post_film", "input_mixin_pre_film", "input_mixin_post_film",
                             "activation_pre_film", "activation_post_film", "layer1x1_post_film", "head1x1_post_film"})
      s += std::string(", \"") + site + "\": {\"active\": true, \"shift\": SHIFT, \"groups\": 1}";
    return s;
  }();
  const auto films = [&](const char* shift) {
    std::string s = all_films;
    for (size_t at; (at = s.find("SHIFT")) != std::string::npos;) s.replace(at, 5, shift);
    return s;
  };
  return {
      {"PReLU per channel, LeakyHardtanh, LeakyReLU 0.2, Hardswish",
       wavenet_06(R"(, "activation": [{"type": "PReLU", "negative_slopes": [0.1, 0.2, 0.3, 0.4]},)"
                  R"( {"type": "LeakyHardtanh", "min_val": -0.5, "max_val": 0.7, "min_slope": 0.05, "max_slope": 0.1}])",
                  R"(, "activation": [{"type": "LeakyReLU", "negative_slope": 0.2}, "Hardswish"])")},
      {"blended and gated layers with other gate activations",
       wavenet_06(R"(, "gating_mode": ["blended", "gated"], "secondary_activation": ["Hardswish", )"
                  R"({"type": "PReLU", "negative_slope": 0.3}])",
                  R"(, "gating_mode": "blended", "activation": "Softsign")")},
      {"bottleneck, grouped conv and blocks, head1x1, layer1x1 off",
       wavenet_06(R"(, "bottleneck": 2, "groups_input": 2, "layer1x1": {"active": true, "groups": 2},)"
                  R"( "head1x1": {"active": true, "out_channels": 4, "groups": 2})",
                  R"(, "layer1x1": {"active": false, "groups": 1}, "gating_mode": "gated")", 4)},
      {"every FiLM site with shift (a blended layer, where layer1x1_post_film applies)",
       wavenet_06(R"(, "gating_mode": ["blended", "none"], "head1x1": {"active": true, "out_channels": 3, "groups": 1})" +
                  films("true"))},
      {"every FiLM site scale-only, bottleneck, gated",
       wavenet_06(R"(, "bottleneck": 2, "gating_mode": "gated", "head1x1": {"active": true, "out_channels": 3, "groups": 1})" +
                      films("false"),
                  R"(, "conv_post_film": {"active": true, "shift": true, "groups": 1})")},
  };
}

inline Mat random_signal(Index n, uint64_t seed, double amplitude = 0.8) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-amplitude, amplitude);
  Mat x(1, n);
  for (Index i = 0; i < n; ++i) x(0, i) = static_cast<Scalar>(u(rng));
  return x;
}

inline Mat graph_output(const Model& m, const Mat& x, const std::vector<double>& knobs) {
  Tape t;
  Var y = m.forward(t, t.constant(x), knobs, nullptr);
  return t.value(y);
}

// Streams x through the model from reset, in the given block sizes (cycled).
inline Mat stream_output(Model& m, const Mat& x, const std::vector<int>& blocks) {
  Mat y(1, x.cols());
  Index pos = 0;
  for (size_t b = 0; pos < x.cols(); ++b) {
    const int n = static_cast<int>(std::min<Index>(blocks[b % blocks.size()], x.cols() - pos));
    m.process(x.data() + pos, y.data() + pos, n);
    pos += n;
  }
  return y;
}

// The contract between the two ways: streamed over x in each of kBlockSweeps, with smoothing off
// and the knobs at knob_values (a model without knobs ignores them) from the first sample, the
// model gives its training graph's output on the columns the graph yields, and a second pass after
// reset() repeats the first to the bit.
// `floor`: the graph's output must reach it somewhere, so that an output near zero cannot pass.
inline void check_streams_like_graph(Model& m, const Mat& x, const std::vector<double>& knob_values,
                                     double floor = 1e-3) {
  const std::vector<double> knobs = m.knobs().empty() ? std::vector<double>{} : knob_values;
  m.set_smoothing_ms(0);
  const Mat graph = graph_output(m, x, knobs);
  REQUIRE(graph.cols() == x.cols() - m.receptive_field() + 1);
  CHECK(graph.cwiseAbs().maxCoeff() > floor);
  for (const std::vector<int>& blocks : kBlockSweeps) {
    CAPTURE(blocks.front());
    m.prepare(*std::max_element(blocks.begin(), blocks.end()));
    for (size_t k = 0; k < knobs.size(); ++k) m.set_knob(Index(k), knobs[k]);
    m.reset();
    const Mat stream = stream_output(m, x, blocks);
    CHECK((stream.rightCols(graph.cols()) - graph).cwiseAbs().maxCoeff() < 1e-5);
    m.reset();
    CHECK((stream_output(m, x, blocks) - stream).cwiseAbs().maxCoeff() == 0);
  }
}

}  // namespace namk::test
