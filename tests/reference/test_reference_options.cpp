// The 0.6/0.7 WaveNet options on models small enough to compute by hand: one channel, kernel 1
// layers, every value a scalar, so each option's meaning (and its place in the weight list) is
// written out below as plain arithmetic. Grouped convolutions are checked on the building block.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "nam_reference.h"
#include "reference_node.h"
#include "reference_test_util.h"

using namespace namk;
using namespace namk::test;
using reference::ReferenceModel;
using reference::RenderOptions;

namespace {

// Distinct, float32-exact weights: 1/8, -2/8, 3/8, ... wrapped to stay below 2 in magnitude.
std::vector<double> distinct_weights(size_t n) {
  std::vector<double> w;
  for (size_t i = 0; i < n; ++i)
    w.push_back((i % 2 ? -1.0 : 1.0) * static_cast<double>(1 + i % 15) / 8.0);
  return w;
}

std::string weights_text(const std::vector<double>& w) {
  std::string s;
  for (size_t i = 0; i < w.size(); ++i) {
    char v[32];
    std::snprintf(v, sizeof v, "%.17g", w[i]);
    s += (i ? ", " : "") + std::string(v);
  }
  return s;
}

// One array, channels = bottleneck = 1, three kernel-1 layers: gated, blended, ungated; FiLM
// before the conv (with shift), after layer1x1 (scale only) and after head1x1 (with shift);
// head1x1 to 1 channel; an array head of kernel 2 with bias.
const char* kFeatureConfig = R"({"layers": [{"input_size": 1, "condition_size": 1, "channels": 1,
  "bottleneck": 1, "kernel_size": 1, "dilations": [1, 1, 1],
  "activation": [{"type": "LeakyHardtanh", "min_val": -0.5, "max_val": 0.5, "min_slope": 0.125,
                  "max_slope": 0.25}, "Softsign", "ReLU"],
  "gating_mode": ["gated", "blended", "none"],
  "secondary_activation": ["Sigmoid", {"type": "PReLU", "negative_slopes": [0.375]}, null],
  "head": {"out_channels": 1, "kernel_size": 2, "bias": true},
  "layer1x1": {"active": true, "groups": 1},
  "head1x1": {"active": true, "out_channels": 1, "groups": 1},
  "conv_pre_film": {"active": true, "shift": true, "groups": 1},
  "layer1x1_post_film": {"active": true, "shift": false, "groups": 1},
  "head1x1_post_film": {"active": true, "shift": true, "groups": 1}}],
  "head": null, "head_scale": 0.02})";

// Where each layer's weights start: the gated and blended layers have 20 (conv 2+2, mixin 2,
// layer1x1 1+1, head1x1 1+1, FiLMs 4 + 2 + 4), the ungated one 17 (its conv and mixin have one
// row).
constexpr size_t kLayerAt[3] = {1, 21, 41};
constexpr size_t kHeadAt = 58, kWeights = kHeadAt + 3 + 1;

std::string feature_model(const std::vector<double>& w) {
  return std::string(
             "{\"version\": \"0.7.0\", \"architecture\": \"WaveNet\", \"sample_rate\": 48000, "
             "\"config\": ") +
         kFeatureConfig + ", \"weights\": [" + weights_text(w) + "]}";
}

double leaky_hardtanh(double x) {
  return x < -0.5 ? -0.5 + (x + 0.5) * 0.125 : x > 0.5 ? 0.5 + (x - 0.5) * 0.25 : x;
}
double softsign(double x) { return x / (1 + std::fabs(x)); }
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double prelu(double x) { return x > 0 ? x : 0.375 * x; }

// The head accumulator of one sample (x is both the input and the condition).
double accumulated(const std::vector<double>& w, double x) {
  double h = w[0] * x;  // rechannel
  double acc = 0;
  for (size_t l = 0; l < 2; ++l) {
    const double* p = w.data() + kLayerAt[l];
    // Offsets in the layer: conv weights (rows: top = activation half, bottom = gate half) 0-1,
    // conv biases 2-3, mixin 4-5, layer1x1 6 and bias 7, head1x1 8 and bias 9, conv_pre_film
    // scale/shift weights 10-11 and biases 12-13, layer1x1_post_film 14 and 15, head1x1_post_film
    // 16-17 and 18-19.
    const double a = h * (p[10] * x + p[12]) + (p[11] * x + p[13]);  // conv_pre_film
    const double top = p[0] * a + p[2] + p[4] * x, bottom = p[1] * a + p[3] + p[5] * x;
    double u;
    if (l == 0)
      u = leaky_hardtanh(top) * sigmoid(bottom);  // gated
    else
      u = prelu(bottom) * softsign(top) + (1 - prelu(bottom)) * top;  // blended
    double r = p[6] * u + p[7];
    if (l == 1) r *= p[14] * x + p[15];  // layer1x1_post_film: only the blended layer applies it
    h += r;
    acc += (p[8] * u + p[9]) * (p[16] * x + p[18]) + (p[17] * x + p[19]);
  }
  // The ungated layer: conv 0, bias 1, mixin 2, layer1x1 3-4, head1x1 5-6, conv_pre_film 7-10,
  // layer1x1_post_film 11-12 (its output feeds no later layer), head1x1_post_film 13-16.
  const double* p = w.data() + kLayerAt[2];
  const double a = h * (p[7] * x + p[9]) + (p[8] * x + p[10]);
  const double u = std::max(0.0, p[0] * a + p[1] + p[2] * x);
  acc += (p[5] * u + p[6]) * (p[13] * x + p[15]) + (p[14] * x + p[16]);
  return acc;
}

// y(t) = head_scale * (w_tap0 * acc(t-1) + w_tap1 * acc(t) + bias), from zero history.
std::vector<double> by_hand(const std::vector<double>& w, const std::vector<double>& x) {
  const double* head = w.data() + kHeadAt;
  std::vector<double> y;
  double previous = 0;
  for (double xt : x) {
    const double acc = accumulated(w, xt);
    y.push_back(w.back() * (head[0] * previous + head[1] * acc + head[2]));
    previous = acc;
  }
  return y;
}

}  // namespace

TEST_CASE(
    "gating, blending, FiLM sites, head1x1, activation parameters and a kernel-2 head, by hand") {
  const std::vector<double> w = distinct_weights(kWeights);
  const ReferenceModel m = ReferenceModel::from_json(feature_model(w), "features.nam");
  RenderOptions cold;
  cold.prewarm_samples = 0;
  const std::vector<double> x{0.4, -0.9, 0.7, 0.05, -0.3};
  const std::vector<double> got = m.render(x, cold), expected = by_hand(w, x);
  for (size_t t = 0; t < x.size(); ++t)
    CHECK(got[t] == doctest::Approx(expected[t]).epsilon(1e-12));
  CHECK(m.prewarm_samples() == 2);  // one sample plus the head's one-sample look-back
}

TEST_CASE("layer1x1_post_film acts in blended layers only, as in NAM's runtime") {
  const std::vector<double> w = distinct_weights(kWeights);
  const std::vector<double> x = test_signal(50);
  RenderOptions cold;
  cold.prewarm_samples = 0;
  const std::vector<double> base =
      ReferenceModel::from_json(feature_model(w), "f.nam").render(x, cold);
  for (size_t layer : {0, 1}) {
    std::vector<double> changed = w;
    changed[kLayerAt[layer] + 14] *= 3;  // the FiLM's scale weight
    const std::vector<double> y =
        ReferenceModel::from_json(feature_model(changed), "f.nam").render(x, cold);
    if (layer == 0)
      CHECK(max_abs_difference(y, base) == 0.0);  // gated layer: read but unused
    else
      CHECK(max_abs_difference(y, base) > 1e-4);
  }
}

TEST_CASE("grouped convolution: each output group reads only its own inputs, taps oldest first") {
  // in 4, out 2, 2 groups, kernel 2, dilation 3: w[o][i][k] for o in 0..1, i in 0..1, k in 0..1.
  reference::Conv c = reference::Conv::make(4, 2, 2, 3, 2, true);
  c.w = {1, 2, 3, 4, 5, 6, 7, 8};
  c.b = {0.5, -0.5};
  reference::Signal x = reference::zeros(4, 5);
  for (size_t ch = 0; ch < 4; ++ch)
    for (size_t t = 0; t < 5; ++t) x[ch][t] = static_cast<double>(10 * ch + t);
  const reference::Signal y = c.apply(x);
  // t = 4 reads x[.][1] with tap 0 and x[.][4] with tap 1.
  CHECK(y[0][4] == 0.5 + 1 * x[0][1] + 2 * x[0][4] + 3 * x[1][1] + 4 * x[1][4]);
  CHECK(y[1][4] == -0.5 + 5 * x[2][1] + 6 * x[2][4] + 7 * x[3][1] + 8 * x[3][4]);
  // Before t = 3 the first tap reads the zero history.
  CHECK(y[1][2] == -0.5 + 6 * x[2][2] + 8 * x[3][2]);
}

TEST_CASE("FiLM with groups and shift: scales are the first rows of its 1x1, shifts the rest") {
  reference::Film f;
  f.active = true;
  f.shift = true;
  f.groups = 2;
  f.dim = 2;
  f.conv = reference::Conv::make(2, 4, 1, 1, 2, true);  // condition 2 -> scale 2 + shift 2
  f.conv.w = {2, 3, 5, 7};  // group 0: rows 0-1 read cond 0; group 1: rows 2-3 read cond 1
  f.conv.b = {0.5, 0.25, -1, 1};
  const reference::Signal x{{1.5}, {-2}}, cond{{0.5}, {-1}};
  const reference::Signal y = f.apply(x, cond);
  CHECK(y[0][0] == 1.5 * (2 * 0.5 + 0.5) + (5 * -1 - 1));
  CHECK(y[1][0] == -2 * (3 * 0.5 + 0.25) + (7 * -1 + 1));
}
