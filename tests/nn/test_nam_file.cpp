// .nam files made by NAM's trainer load and run, and give the output of an independent naive
// implementation written from NAM's equations straight off the file's weight list.
#include <doctest/doctest.h>

#include <cmath>

#include "base/json.h"
#include "model_test_util.h"
#include "nn/model_file.h"

using namespace namk;
using namespace namk::test;

namespace {
const std::string kNam = std::string(NAMK_FIXTURES_DIR) + "/nam/";

std::vector<double> weights_of(const Json& j) {
  std::vector<double> w;
  for (const Json& v : j["weights"].items()) w.push_back(v.number());
  return w;
}

using Signal = std::vector<std::vector<double>>;  // [channel][time]

// NAM's WaveNet by loops: zero history before t = 0 at every layer's input (as streaming from reset).
std::vector<double> naive_wavenet(const Json& config, const std::vector<double>& w,
                                  const std::vector<double>& x) {
  const size_t T = x.size();
  size_t p = 0;
  Signal in{x}, head_prev;
  for (const Json& a : config["layers"].items()) {
    const size_t cin = size_t(a["input_size"].integer()), c = size_t(a["channels"].integer()),
                 hs = size_t(a["head_size"].integer()), k = size_t(a["kernel_size"].integer());
    Signal h(c, std::vector<double>(T, 0.0));
    for (size_t o = 0; o < c; ++o)
      for (size_t i = 0; i < cin; ++i)
        for (size_t t = 0; t < T; ++t) h[o][t] += w[p + o * cin + i] * in[i][t];
    p += c * cin;
    Signal head = head_prev.empty() ? Signal(c, std::vector<double>(T, 0.0)) : head_prev;
    for (const Json& dj : a["dilations"].items()) {
      const size_t d = size_t(dj.integer());
      const size_t conv = p, bias = p + c * c * k, mixer = bias + c, out = mixer + c, out_bias = out + c * c;
      p = out_bias + c;
      Signal act(c, std::vector<double>(T));
      for (size_t o = 0; o < c; ++o)
        for (size_t t = 0; t < T; ++t) {
          double z = w[bias + o] + w[mixer + o] * x[t];
          for (size_t i = 0; i < c; ++i)
            for (size_t tap = 0; tap < k; ++tap) {
              const long src = long(t) - long((k - 1 - tap) * d);
              if (src >= 0) z += w[conv + (o * c + i) * k + tap] * h[i][size_t(src)];
            }
          act[o][t] = std::tanh(z);
        }
      Signal next = h;
      for (size_t o = 0; o < c; ++o)
        for (size_t t = 0; t < T; ++t) {
          head[o][t] += act[o][t];
          next[o][t] += w[out_bias + o];
          for (size_t i = 0; i < c; ++i) next[o][t] += w[out + o * c + i] * act[i][t];
        }
      h = next;
    }
    Signal head_out(hs, std::vector<double>(T, 0.0));
    for (size_t o = 0; o < hs; ++o)
      for (size_t t = 0; t < T; ++t)
        for (size_t i = 0; i < c; ++i) head_out[o][t] += w[p + o * c + i] * head[i][t];
    p += hs * c;
    if (a["head_bias"].boolean()) {
      for (size_t o = 0; o < hs; ++o)
        for (size_t t = 0; t < T; ++t) head_out[o][t] += w[p + o];
      p += hs;
    }
    in = h;
    head_prev = head_out;
  }
  REQUIRE(p + 1 == w.size());
  std::vector<double> y(T);
  for (size_t t = 0; t < T; ++t) y[t] = w[p] * head_prev[0][t];
  return y;
}

// NAM's LSTM (PyTorch's equations, gates i f g o), one layer, starting from the stored state.
std::vector<double> naive_lstm(size_t H, const std::vector<double>& w, const std::vector<double>& x) {
  const size_t cols = 1 + H, bias = 4 * H * cols;
  std::vector<double> h(w.begin() + long(bias + 4 * H), w.begin() + long(bias + 5 * H)),
      c(w.begin() + long(bias + 5 * H), w.begin() + long(bias + 6 * H)), y;
  const size_t head = bias + 6 * H;
  auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
  for (double xt : x) {
    std::vector<double> g(4 * H);
    for (size_t r = 0; r < 4 * H; ++r) {
      g[r] = w[bias + r] + w[r * cols] * xt;
      for (size_t j = 0; j < H; ++j) g[r] += w[r * cols + 1 + j] * h[j];
    }
    double out = w[head + H];
    for (size_t j = 0; j < H; ++j) {
      c[j] = sig(g[H + j]) * c[j] + sig(g[j]) * std::tanh(g[2 * H + j]);
      h[j] = sig(g[3 * H + j]) * std::tanh(c[j]);
      out += w[head + j] * h[j];
    }
    y.push_back(out);
  }
  return y;
}

Mat stream(Model& m, const Mat& x) {
  m.prepare(64);
  return stream_output(m, x, {64, 5, 1});
}
}  // namespace

TEST_CASE("NAM's tiny WaveNet loads and matches a naive implementation") {
  const Json j = Json::parse_file(kNam + "wavenet.nam");
  auto m = load_model(kNam + "wavenet.nam").model;
  CHECK(m->num_params() == 130);
  CHECK(m->sample_rate() == 48000);
  CHECK(m->config().wavenet.head_scale == doctest::Approx(weights_of(j).back()));
  const Mat x = random_signal(300, 4);
  std::vector<double> xd(x.data(), x.data() + x.size());
  const std::vector<double> expected = naive_wavenet(j["config"], weights_of(j), xd);
  const Mat y = stream(*m, x);
  double worst = 0, scale = 0;
  for (Index t = 0; t < x.cols(); ++t) {
    worst = std::max(worst, std::abs(double(y(0, t)) - expected[size_t(t)]));
    scale = std::max(scale, std::abs(expected[size_t(t)]));
  }
  CHECK(scale > 1e-3);
  CHECK(worst < 1e-5 * std::max(1.0, scale) + 1e-6);
  const Mat graph = graph_output(*m, x, {});
  CHECK((graph - y.rightCols(graph.cols())).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("after prewarm() the first samples match NAM's pre-warmed runtime") {
  // NAM's runtime runs a receptive field of silence at reset: the same as the naive model on
  // silence followed by the signal, with the silence's outputs dropped.
  const Json j = Json::parse_file(kNam + "wavenet.nam");
  auto m = load_model(kNam + "wavenet.nam").model;
  const Mat x = random_signal(100, 6);
  const size_t rf = static_cast<size_t>(m->receptive_field());
  std::vector<double> padded(rf, 0.0);
  padded.insert(padded.end(), x.data(), x.data() + x.size());
  const std::vector<double> expected = naive_wavenet(j["config"], weights_of(j), padded);
  m->prepare(16);
  m->reset();
  m->prewarm();
  const Mat y = stream_output(*m, x, {16});
  double worst = 0, scale = 0;
  for (Index t = 0; t < x.cols(); ++t) {
    worst = std::max(worst, std::abs(double(y(0, t)) - expected[rf + size_t(t)]));
    scale = std::max(scale, std::abs(expected[rf + size_t(t)]));
  }
  CHECK(worst <= 1e-4 * scale);
  // Without it the first samples differ (zero history is not the response to silence).
  m->reset();
  const Mat cold = stream_output(*m, x, {16});
  CHECK(std::abs(double(cold(0, 0)) - expected[rf]) > 1e-4 * scale);
}

TEST_CASE("NAM's LSTM loads and matches a naive implementation") {
  const Json j = Json::parse_file(kNam + "lstm.nam");
  auto m = load_model(kNam + "lstm.nam").model;
  CHECK(m->num_params() == 70);
  const Mat x = random_signal(200, 5);
  const std::vector<double> expected =
      naive_lstm(3, weights_of(j), std::vector<double>(x.data(), x.data() + x.size()));
  const Mat y = stream(*m, x);
  double worst = 0;
  for (Index t = 0; t < x.cols(); ++t) worst = std::max(worst, std::abs(double(y(0, t)) - expected[size_t(t)]));
  CHECK(worst < 1e-5);
  CHECK((graph_output(*m, x, {}) - y).cwiseAbs().maxCoeff() < 1e-5);
}

TEST_CASE("NAM's trained standard WaveNet (0.5.0, no sample_rate) loads and runs") {
  auto m = load_model(kNam + "wavenet_a1_standard.nam").model;
  CHECK(m->num_params() == 13801);
  CHECK(m->receptive_field() == 4093);
  CHECK(m->sample_rate() == 48000);
  Mat x(1, 8192);
  for (Index t = 0; t < x.cols(); ++t) x(0, t) = Scalar(0.5 * std::sin(0.05 * double(t)));
  const Mat y = stream(*m, x);
  CHECK(y.allFinite());
  const double peak = y.rightCols(4096).cwiseAbs().maxCoeff();
  CHECK(peak > 0.01);
  CHECK(peak < 10);
}

TEST_CASE("bad .nam files are rejected with the field named") {
  auto fails = [](const std::string& text, const std::string& fragment) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(model_from_json(text, "x.nam"), doctest::Contains(fragment.c_str()),
                         InputError);
  };
  const std::string lstm = R"("architecture": "LSTM", "config": {"input_size": 1, "hidden_size": 1, "num_layers": 1})";
  fails(R"({"version": "0.8.0", )" + lstm + R"(, "weights": []})", "version 0.5.x");
  fails(R"({"version": "0.5.4", )" + lstm + R"(, "weights": [1, 2]})", "16 weights");
  fails(R"({"version": "0.5.4", "architecture": "CatLSTM", "config": {}, "weights": []})", "CatLSTM");
}

// Issue 18: damaged and hostile files. Each case checks the message names the file, the key, what
// was expected and what was found.
namespace {
std::string lstm_file(const std::string& config, const std::string& weights,
                      const std::string& extra = "") {
  return R"({"version": "0.5.4", "architecture": "LSTM", "config": )" + config +
         R"(, "weights": )" + weights + extra + "}";
}
std::string numbers(int n, const char* value = "0.1") {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += std::string(i ? ", " : "") + value;
  return s + "]";
}
void refused(const std::string& text, std::initializer_list<const char*> fragments) {
  CAPTURE(text.substr(0, 300));
  try {
    model_from_json(text, "hostile.nam");
    FAIL("accepted");
  } catch (const InputError& e) {
    const std::string what = e.what();
    CAPTURE(what);
    CHECK(what.rfind("hostile.nam: ", 0) == 0);
    for (const char* f : fragments) CHECK(what.find(f) != std::string::npos);
  }
}
const std::string kLstm1 = R"({"input_size": 1, "hidden_size": 1, "num_layers": 1})";  // 16 weights
}  // namespace

TEST_CASE("hostile .nam: sizes are checked against the weights before anything is allocated") {
  // The issue's case: a small file declaring 30000 channels. Past the width limit.
  refused(R"({"version": "0.5.4", "architecture": "WaveNet", "config": {"layers": [{"input_size": 1,
      "condition_size": 1, "head_size": 1, "channels": 30000, "kernel_size": 3, "dilations": [1],
      "activation": "Tanh", "gated": false, "head_bias": false}], "head": null, "head_scale": 0.02},
      "weights": [0.5, 0.02]})",
          {"config.layers[0].channels", "expected an integer in [1, 4096]", "30000"});
  // Within every per-key limit, but the products need terabytes: the count check must come first
  // (allocating first would throw std::bad_alloc, not InputError).
  std::string dilations = "[1";
  for (int i = 1; i < 64; ++i) dilations += ", 1";
  dilations += "]";
  refused(R"({"version": "0.5.4", "architecture": "WaveNet", "config": {"layers": [{"input_size": 1,
      "condition_size": 1, "head_size": 1, "channels": 4096, "kernel_size": 1024, "dilations": )" +
              dilations + R"(, "activation": "Tanh", "gated": false, "head_bias": false}],
      "head": null, "head_scale": 0.02}, "weights": [0.5, 0.02]})",
          {"weights: expected ", " weights for this config, found 2"});
  refused(lstm_file(R"({"input_size": 1, "hidden_size": 4096, "num_layers": 64})", "[]"),
          {"weights: expected ", "found 0"});
  refused(lstm_file(R"({"input_size": 1, "hidden_size": 1, "num_layers": 1000})", "[]"),
          {"config.num_layers", "expected an integer in [1, 64]", "1000"});
  refused(R"({"version": "0.5.4", "architecture": "Linear", "config": {"receptive_field": 99999999999,
      "bias": false}, "weights": []})",
          {"config.receptive_field", "expected an integer in [1, 1048576]", "1e+11"});
  // Dilations within their limit whose sum is a receptive field of minutes.
  refused(R"({"version": "0.5.4", "architecture": "ConvNet", "config": {"channels": 1, "dilations":
      [1048576, 1048576], "activation": "Tanh"}, "weights": [1, 1, 1, 1, 1, 1, 1, 1]})",
          {"config", "a receptive field of at most 1048576 samples", "2097153"});
}

TEST_CASE("hostile .nam: weights, sample rates and knob ranges must be finite and in range") {
  CHECK_NOTHROW(model_from_json(lstm_file(kLstm1, numbers(16)), "ok.nam"));
  refused(lstm_file(kLstm1, "[1e300, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]"),
          {"weights[0]", "expected a finite number (within float32's range)", "found the number 1e+300"});
  refused(lstm_file(kLstm1, numbers(16, "-3.5e38")), {"weights[0]", "finite"});
  refused(lstm_file(kLstm1, numbers(16), R"(, "sample_rate": 0)"),
          {"sample_rate", "expected a sample rate in [1000, 768000] Hz", "found the number 0"});
  refused(lstm_file(kLstm1, numbers(16), R"(, "sample_rate": -48000)"), {"sample_rate", "-48000"});
  refused(lstm_file(kLstm1, numbers(16), R"(, "sample_rate": 1e9)"), {"sample_rate"});
  const std::string knob_lstm = R"({"version": "1.0.0", "architecture": "KnobLSTM", "config": )" + kLstm1 +
                                R"(, "conditioning": {"method": "concat"}, "weights": )" + numbers(20) +
                                R"(, "conditioning_weights": [], "knobs": )";
  CHECK_NOTHROW(model_from_json(knob_lstm + R"([{"name": "gain", "min": 0, "max": 10}]})", "ok.nam"));
  refused(knob_lstm + R"([{"name": "gain", "min": -1e300, "max": 10}]})",
          {"knobs[0].min", "expected a finite number (within float32's range)"});
  refused(knob_lstm + R"([{"name": "gain", "min": -3e38, "max": 3e38}]})",
          {"knobs[0].max", "a range max - min that is finite", "found max - min = 6e+38"});
  refused(knob_lstm + R"([{"name": "gain", "min": 0, "max": 10}], "smoothing_ms": -1})",
          {"smoothing_ms", "in [0, 10000]", "-1"});
  // A head_scale of 1e300 is a weight like any other.
  refused(R"({"version": "0.5.4", "architecture": "WaveNet", "config": {"layers": [{"input_size": 1,
      "condition_size": 1, "head_size": 1, "channels": 1, "kernel_size": 1, "dilations": [1],
      "activation": "Tanh", "gated": false, "head_bias": false}], "head": null, "head_scale": 0.02},
      "weights": [1, 1, 1, 1, 1, 1, 1, 1e300]})",
          {"weights[7]", "finite"});
}
