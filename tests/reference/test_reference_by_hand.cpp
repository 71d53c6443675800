// The reference evaluator against computations simple enough to check by hand, written straight
// off each file's flat weight list with explicit offsets (no code shared with the reference):
// - a WaveNet's first sample from zero history, where every dilated tap but the last reads zeros,
//   and its settled response to a constant input, where every tap reads the same value: both are
//   one column of arithmetic through the layers;
// - an LSTM's first samples from its stored state;
// - a slimmed WaveNet, equal to a file written by cutting the full one's tensors by hand.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "nam_reference.h"
#include "reference_test_util.h"

using namespace namk;
using namespace namk::test;
using reference::ReferenceModel;
using reference::RenderOptions;

namespace {

double activate(const Json& a, double z) {
  const std::string type = a.is_string() ? a.string() : a["type"].string();
  if (type == "Tanh") return std::tanh(z);
  if (type == "ReLU") return z > 0 ? z : 0;
  if (type == "LeakyReLU") return z > 0 ? z : static_cast<float>(a["negative_slope"].number()) * z;
  FAIL("activation not covered by the hand computation: " << type);
  return 0;
}

// One column through an ungated WaveNet without FiLM, groups or head1x1. all_taps false: the
// first sample from zero history (only each conv's last tap sees data). all_taps true: the
// settled output for a constant input x (every tap sees the same column).
double wavenet_column(const Json& model, double x, bool all_taps) {
  const std::vector<double> w = flat_weights(model);
  size_t p = 0;
  std::vector<double> in{x}, head_prev;
  for (const Json& a : model["config"]["layers"].items()) {
    const size_t cin = size_t(a["input_size"].integer()), C = size_t(a["channels"].integer());
    const size_t B = a.has("bottleneck") ? size_t(a["bottleneck"].integer()) : C;
    const bool layer1x1 = !a.has("layer1x1") || a["layer1x1"]["active"].boolean();
    const std::vector<Json> dilations = a["dilations"].items();
    size_t hs = 0, hk = 1;
    bool hb = false;
    if (a.has("head") && !a["head"].is_null()) {
      hs = size_t(a["head"]["out_channels"].integer());
      hk = size_t(a["head"]["kernel_size"].integer());
      hb = a["head"]["bias"].boolean();
    } else {
      hs = size_t(a["head_size"].integer());
      hb = a["head_bias"].boolean();
    }
    std::vector<double> h(C, 0.0);
    for (size_t o = 0; o < C; ++o)
      for (size_t i = 0; i < cin; ++i) h[o] += w[p + o * cin + i] * in[i];
    p += C * cin;
    std::vector<double> acc = head_prev.empty() ? std::vector<double>(B, 0.0) : head_prev;
    for (size_t l = 0; l < dilations.size(); ++l) {
      const size_t K = a.has("kernel_sizes") ? size_t(a["kernel_sizes"].items()[l].integer())
                                             : size_t(a["kernel_size"].integer());
      const Json act = a["activation"].is_array() ? a["activation"].items()[l] : a["activation"];
      const size_t conv = p, bias = p + B * C * K, mixer = bias + B;
      p = mixer + B;
      std::vector<double> u(B);
      for (size_t o = 0; o < B; ++o) {
        double z = w[bias + o] + w[mixer + o] * x;
        for (size_t i = 0; i < C; ++i)
          for (size_t k = all_taps ? 0 : K - 1; k < K; ++k)
            z += w[conv + (o * C + i) * K + k] * h[i];
        u[o] = activate(act, z);
        acc[o] += u[o];
      }
      if (layer1x1) {
        const size_t l1 = p, l1b = p + C * B;
        p = l1b + C;
        for (size_t o = 0; o < C; ++o) {
          h[o] += w[l1b + o];
          for (size_t i = 0; i < B; ++i) h[o] += w[l1 + o * B + i] * u[i];
        }
      }
    }
    std::vector<double> out(hs, 0.0);
    for (size_t o = 0; o < hs; ++o) {
      if (hb) out[o] += w[p + hs * B * hk + o];
      for (size_t i = 0; i < B; ++i)
        for (size_t k = all_taps ? 0 : hk - 1; k < hk; ++k)
          out[o] += w[p + (o * B + i) * hk + k] * acc[i];
    }
    p += hs * B * hk + (hb ? hs : 0);
    in = h;
    head_prev = out;
  }
  REQUIRE(p + 1 == w.size());
  return w[p] * head_prev[0];  // head_scale is the last weight
}

void check_columns(const Json& model, const ReferenceModel& ref, double slim) {
  RenderOptions cold;
  cold.slim = slim;
  cold.prewarm_samples = 0;
  for (double x0 : {0.5, -0.8}) {
    const double first = ref.render({x0, 0.1, 0.2}, cold)[0];
    CHECK(first == doctest::Approx(wavenet_column(model, x0, false)).epsilon(1e-12));
  }
  RenderOptions warm;
  warm.slim = slim;
  const size_t settle = static_cast<size_t>(ref.prewarm_samples(slim)) + 5;
  for (double c : {0.0, 0.3, -0.6}) {
    const double settled = ref.render(std::vector<double>(settle, c), warm).back();
    CHECK(settled == doctest::Approx(wavenet_column(model, c, true)).epsilon(1e-12));
  }
}

std::string number_text(double v) {
  char s[40];
  std::snprintf(s, sizeof s, "%.17g", v);
  return s;
}

}  // namespace

TEST_CASE("WaveNet 0.5.x by hand: first sample from zero history and settled constant response") {
  for (const std::string& f : {kNam05 + "wavenet.nam", kNam05 + "wavenet_a1_standard.nam"}) {
    CAPTURE(f);
    check_columns(Json::parse_file(f), ReferenceModel::load(f), 1.0);
  }
}

TEST_CASE(
    "A2 lite and full by hand: kernel_sizes, bottleneck, layer1x1, LeakyReLU, head kernel 16") {
  const Json file = Json::parse_file(kNam07 + "A2.nam");
  const std::vector<Json> submodels = file["config"]["submodels"].items();
  REQUIRE(submodels.size() == 2);
  const ReferenceModel ref = ReferenceModel::load(kNam07 + "A2.nam");
  check_columns(submodels[0]["model"], ref, 0.25);
  check_columns(submodels[1]["model"], ref, 1.0);
}

TEST_CASE("LSTM by hand: the first samples start from the stored hidden and cell state") {
  const Json file = Json::parse_file(kNam05 + "lstm.nam");
  const std::vector<double> w = flat_weights(file);
  // hidden 3, input 1: W (12, 4) at 0, bias (12) at 48, h0 (3) at 60, c0 (3) at 63, head at 66.
  double h[3] = {w[60], w[61], w[62]}, c[3] = {w[63], w[64], w[65]};
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  const std::vector<double> x{0.3, -0.7, 0.05};
  std::vector<double> expected;
  for (double xt : x) {
    double g[12];
    for (int r = 0; r < 12; ++r)
      g[r] = w[48 + r] + w[r * 4] * xt + w[r * 4 + 1] * h[0] + w[r * 4 + 2] * h[1] +
             w[r * 4 + 3] * h[2];
    double y = w[69];
    for (int j = 0; j < 3; ++j) {
      c[j] = sig(g[3 + j]) * c[j] + sig(g[j]) * std::tanh(g[6 + j]);  // forget, input, cell gates
      h[j] = sig(g[9 + j]) * std::tanh(c[j]);                         // output gate
      y += w[66 + j] * h[j];
    }
    expected.push_back(y);
  }
  RenderOptions cold;
  cold.prewarm_samples = 0;
  const std::vector<double> got = ReferenceModel::load(kNam05 + "lstm.nam").render(x, cold);
  for (size_t t = 0; t < x.size(); ++t)
    CHECK(got[t] == doctest::Approx(expected[t]).epsilon(1e-12));
}

TEST_CASE("slimmable WaveNet at 1 and 2 channels equals the full file cut down by hand") {
  const Json file = Json::parse_file(kNam07 + "slimmable_wavenet.nam");
  const std::vector<double> w = flat_weights(file);
  const ReferenceModel full = ReferenceModel::load(kNam07 + "slimmable_wavenet.nam");
  const std::vector<double> x = test_signal(3000, 7);
  for (int c : {1, 2}) {
    CAPTURE(c);
    // Full: 3 channels, kernel 3, ten layers, head 1 without bias. Keep each tensor's first c
    // outputs and first c inputs (the bottleneck follows the channels).
    std::vector<double> cut;
    size_t p = 0;
    for (int o = 0; o < c; ++o) cut.push_back(w[p + size_t(o)]);
    p += 3;
    for (int l = 0; l < 10; ++l) {
      for (int o = 0; o < c; ++o)
        for (int i = 0; i < c; ++i)
          for (int k = 0; k < 3; ++k) cut.push_back(w[p + size_t((o * 3 + i) * 3 + k)]);
      p += 27;
      for (int o = 0; o < c; ++o) cut.push_back(w[p + size_t(o)]);  // conv bias
      p += 3;
      for (int o = 0; o < c; ++o) cut.push_back(w[p + size_t(o)]);  // input mixin
      p += 3;
      for (int o = 0; o < c; ++o)
        for (int i = 0; i < c; ++i) cut.push_back(w[p + size_t(o * 3 + i)]);  // layer1x1
      p += 9;
      for (int o = 0; o < c; ++o) cut.push_back(w[p + size_t(o)]);  // its bias
      p += 3;
    }
    for (int i = 0; i < c; ++i) cut.push_back(w[p + size_t(i)]);  // head
    p += 3;
    cut.push_back(w[p]);  // head_scale
    REQUIRE(p + 1 == w.size());
    std::string text =
        "{\"version\": \"0.7.0\", \"architecture\": \"WaveNet\", \"sample_rate\": 48000, "
        "\"config\": {\"layers\": "
        "[{\"input_size\": 1, \"condition_size\": 1, \"head_size\": 1, \"channels\": " +
        std::to_string(c) +
        ", \"kernel_size\": 3, \"dilations\": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512], "
        "\"activation\": \"ReLU\", "
        "\"gated\": false, \"head_bias\": false}], \"head\": null, \"head_scale\": 0.02}, "
        "\"weights\": [";
    for (size_t i = 0; i < cut.size(); ++i) text += (i ? ", " : "") + number_text(cut[i]);
    text += "]}";
    const ReferenceModel by_hand = ReferenceModel::from_json(text, "cut.nam");
    RenderOptions at;
    at.slim = c == 1 ? 0.1 : 0.5;
    const std::vector<double> slimmed = full.render(x, at), expected = by_hand.render(x);
    CHECK(max_abs_difference(slimmed, expected) <= 1e-12 * max_abs(expected));
    CHECK(max_abs_difference(slimmed, full.render(x)) > 1e-3);
  }
}
