// The reference LSTM, ConvNet and Linear models: the 0.5.x architectures, whose configs did not
// change up to 0.7.x. Plain loops over the whole signal.
#include <cmath>

#include "base/error.h"
#include "reference_node.h"

namespace namk::reference {

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Per layer: W (4H, in + H) row-major over [input | hidden], gates in the order i, f, g, o;
// the bias (4H); the initial hidden state (H) and initial cell state (H). Then the head (H) and
// its bias. The initial states are where every render starts (before pre-warming).
class Lstm final : public Node, public std::enable_shared_from_this<Lstm> {
 public:
  struct Layer {
    int in = 0;
    std::vector<double> w, b, h0, c0;
  };

  Lstm(int input, int hidden, int layers, WeightReader& r, double sample_rate)
      : hidden_(hidden), sample_rate_(sample_rate) {
    for (int l = 0; l < layers; ++l) {
      Layer layer;
      layer.in = l == 0 ? input : hidden;
      layer.w.resize(static_cast<size_t>(4 * hidden) * (layer.in + hidden));
      layer.b.resize(static_cast<size_t>(4 * hidden));
      layer.h0.resize(static_cast<size_t>(hidden));
      layer.c0.resize(static_cast<size_t>(hidden));
      for (auto* v : {&layer.w, &layer.b, &layer.h0, &layer.c0})
        for (double& x : *v) x = r.next();
      layers_.push_back(std::move(layer));
    }
    head_w_.resize(static_cast<size_t>(hidden));
    for (double& x : head_w_) x = r.next();
    head_b_ = r.next();
    r.finish("this LSTM");
  }

  int in_channels() const override { return layers_[0].in; }

  Signal forward(const Signal& x) const override {
    const size_t T = x[0].size(), H = static_cast<size_t>(hidden_);
    std::vector<std::vector<double>> h, c;
    for (const Layer& l : layers_) {
      h.push_back(l.h0);
      c.push_back(l.c0);
    }
    Signal y = zeros(1, static_cast<long>(T));
    std::vector<double> input, gates(4 * H);
    for (size_t t = 0; t < T; ++t) {
      input.clear();
      for (const auto& channel : x) input.push_back(channel[t]);
      for (size_t li = 0; li < layers_.size(); ++li) {
        const Layer& l = layers_[li];
        const size_t cols = static_cast<size_t>(l.in) + H;
        for (size_t g = 0; g < 4 * H; ++g) {
          double sum = l.b[g];
          for (size_t j = 0; j < static_cast<size_t>(l.in); ++j)
            sum += l.w[g * cols + j] * input[j];
          for (size_t j = 0; j < H; ++j) sum += l.w[g * cols + l.in + j] * h[li][j];
          gates[g] = sum;
        }
        for (size_t j = 0; j < H; ++j) {
          c[li][j] =
              sigmoid(gates[H + j]) * c[li][j] + sigmoid(gates[j]) * std::tanh(gates[2 * H + j]);
          h[li][j] = sigmoid(gates[3 * H + j]) * std::tanh(c[li][j]);
        }
        input = h[li];
      }
      double out = head_b_;
      for (size_t j = 0; j < H; ++j) out += head_w_[j] * h.back()[j];
      y[0][t] = out;
    }
    return y;
  }

  // Half a second at the file's sample rate (one sample when the file has none): an LSTM's
  // memory has no finite length, so NAM's runtime settles it with a fixed stretch of silence.
  long prewarm_samples() const override {
    const long n = static_cast<long>(0.5 * sample_rate_);
    return n <= 0 ? 1 : n;
  }
  std::shared_ptr<const Node> at_size(double) const override { return shared_from_this(); }
  std::string describe() const override {
    return "LSTM: " + std::to_string(layers_.size()) + " layers, hidden " + std::to_string(hidden_);
  }

 private:
  int hidden_;
  double sample_rate_;
  std::vector<Layer> layers_;
  std::vector<double> head_w_;
  double head_b_ = 0;
};

// Blocks of a kernel-2 dilated conv (1 input channel for the first, `channels` after), then
// either a bias (no batchnorm) or a batchnorm (running mean, running var, weight, bias, eps),
// then the activation; a head of `channels` weights and a bias reads the last block.
class ConvNet final : public Node, public std::enable_shared_from_this<ConvNet> {
 public:
  struct Block {
    Conv conv;
    bool batchnorm = false;
    std::vector<double> scale, loc;  // batchnorm as y = scale * x + loc
  };

  ConvNet(int channels, const std::vector<int>& dilations, bool batchnorm, Activation act,
          WeightReader& r)
      : act_(act) {
    for (size_t i = 0; i < dilations.size(); ++i) {
      Block b;
      b.conv = Conv::make(i == 0 ? 1 : channels, channels, 2, dilations[i], 1, !batchnorm);
      b.conv.read(r);
      b.batchnorm = batchnorm;
      if (batchnorm) {
        std::vector<double> mean(static_cast<size_t>(channels)), var = mean, weight = mean,
                                                                 bias = mean;
        for (auto* v : {&mean, &var, &weight, &bias})
          for (double& x : *v) x = r.next();
        const double eps = r.next();
        for (size_t c = 0; c < mean.size(); ++c) {
          b.scale.push_back(weight[c] / std::sqrt(eps + var[c]));
          b.loc.push_back(bias[c] - b.scale.back() * mean[c]);
        }
      }
      blocks_.push_back(std::move(b));
      prewarm_ += dilations[i];
    }
    head_w_.resize(static_cast<size_t>(channels));
    for (double& x : head_w_) x = r.next();
    head_b_ = r.next();
    r.finish("this ConvNet");
  }

  Signal forward(const Signal& x) const override {
    Signal h = x;
    for (const Block& b : blocks_) {
      h = b.conv.apply(h);
      for (size_t c = 0; c < h.size(); ++c)
        for (double& v : h[c])
          v = act_(b.batchnorm ? b.scale[c] * v + b.loc[c] : v, static_cast<int>(c));
    }
    Signal y = zeros(1, static_cast<long>(x[0].size()));
    for (size_t t = 0; t < y[0].size(); ++t) {
      double sum = head_b_;
      for (size_t c = 0; c < head_w_.size(); ++c) sum += head_w_[c] * h[c][t];
      y[0][t] = sum;
    }
    return y;
  }
  long prewarm_samples() const override { return prewarm_; }
  std::shared_ptr<const Node> at_size(double) const override { return shared_from_this(); }
  std::string describe() const override {
    return "ConvNet: " + std::to_string(blocks_.size()) + " blocks, channels " +
           std::to_string(head_w_.size());
  }

 private:
  Activation act_;
  std::vector<Block> blocks_;
  std::vector<double> head_w_;
  double head_b_ = 0;
  long prewarm_ = 1;
};

// An FIR filter: weights[j] multiplies x[t - j] (the first weight is the present sample), then
// the bias when there is one.
class Linear final : public Node, public std::enable_shared_from_this<Linear> {
 public:
  Linear(int taps, bool bias, WeightReader& r) {
    w_.resize(static_cast<size_t>(taps));
    for (double& x : w_) x = r.next();
    if (bias) b_ = r.next();
    r.finish("this Linear model");
  }
  Signal forward(const Signal& x) const override {
    Signal y = zeros(1, static_cast<long>(x[0].size()));
    for (size_t t = 0; t < y[0].size(); ++t) {
      double sum = b_;
      for (size_t j = 0; j < w_.size() && j <= t; ++j) sum += w_[j] * x[0][t - j];
      y[0][t] = sum;
    }
    return y;
  }
  // NAM's runtime does not pre-warm a Linear model; its history starts as zeros, which is also
  // its response to silence.
  long prewarm_samples() const override { return 0; }
  std::shared_ptr<const Node> at_size(double) const override { return shared_from_this(); }
  std::string describe() const override { return "Linear: " + std::to_string(w_.size()) + " taps"; }

 private:
  std::vector<double> w_;
  double b_ = 0;
};

}  // namespace

std::shared_ptr<const Node> read_lstm(JsonObject& config, WeightReader& weights,
                                      double sample_rate) {
  const int input = positive_int(config.get("input_size"), 64);
  const int hidden = positive_int(config.get("hidden_size"), 4096);
  const int layers = positive_int(config.get("num_layers"), 64);
  return std::make_shared<Lstm>(input, hidden, layers, weights, sample_rate);
}

std::shared_ptr<const Node> read_convnet(JsonObject& config, WeightReader& weights) {
  const int channels = positive_int(config.get("channels"), 4096);
  std::vector<int> dilations;
  for (const JsonValue& d : config.get("dilations").items()) dilations.push_back(positive_int(d));
  if (dilations.empty()) config.value().fail("a ConvNet with at least one dilation");
  const bool batchnorm = config.get("batchnorm").boolean();
  const JsonValue act_value = config.get("activation");
  const Activation act = Activation::parse(act_value);
  if (act.kind == Activation::Kind::PReLU && act.slopes.size() != 1)
    act_value.fail("a one-slope activation");
  return std::make_shared<ConvNet>(channels, dilations, batchnorm, act, weights);
}

std::shared_ptr<const Node> read_linear(JsonObject& config, WeightReader& weights) {
  const int taps = positive_int(config.get("receptive_field"));
  const bool bias = config.get("bias").boolean();
  return std::make_shared<Linear>(taps, bias, weights);
}

}  // namespace namk::reference
