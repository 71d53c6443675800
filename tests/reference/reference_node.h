// The pieces the reference evaluator builds models from: whole-signal tensors, a naive causal
// convolution with NAM's weight order, FiLM, activations, and the Node interface every
// architecture implements. Everything is double and computed with plain loops over the whole
// signal from a zero history: it is a specification in code, not a fast path. Weights are rounded
// to float32 when read, as NAM's runtime stores them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "reference_json.h"

namespace namk::reference {

// A multichannel signal: signal[channel][time].
using Signal = std::vector<std::vector<double>>;

Signal zeros(int channels, long length);

// Hands out a model's flat "weights" list in order, and checks it was consumed exactly.
class WeightReader {
 public:
  WeightReader(std::vector<double> weights, std::string file)
      : w_(std::move(weights)), file_(std::move(file)) {}
  double next();  // the next weight, rounded to float32
  long remaining() const { return static_cast<long>(w_.size()) - at_; }
  // Throws unless every weight was used.
  void finish(const std::string& what) const;

 private:
  std::vector<double> w_;
  std::string file_;
  long at_ = 0;
};

// A causal 1-D convolution with optional groups and bias. NAM's order for the flat weights:
// for each output channel o (group g = o / (out/groups)), for each input channel i of that group,
// for each tap k: w[o][i][k]; then the out biases. Tap k reads x[t - dilation * (kernel - 1 - k)],
// so the last tap is the present sample. Samples before t = 0 are zero.
struct Conv {
  int in = 0, out = 0, kernel = 1, dilation = 1, groups = 1;
  bool bias = false;
  std::vector<double> w;  // (out, in / groups, kernel), kernel fastest
  std::vector<double> b;  // (out), or empty without bias

  static Conv make(int in, int out, int kernel, int dilation, int groups, bool bias);
  void read(WeightReader& r);
  long num_weights() const {
    return static_cast<long>(out) * (in / groups) * kernel + (bias ? out : 0);
  }
  double weight(int o, int i, int k) const {
    return w[(static_cast<size_t>(o) * (in / groups) + i) * kernel + k];
  }
  // x: (in, T) -> (out, T).
  Signal apply(const Signal& x) const;
  // The top-left corner: the first `out_rows` outputs fed by the first `in_cols` inputs (groups
  // must be 1). This is how NAM slims a tensor.
  Conv corner(int out_rows, int in_cols) const;
};

// Feature-wise linear modulation: a 1x1 conv (with bias and groups) maps the condition to
// `dim` scales, followed by `dim` shifts when shift is on; the output is x * scale (+ shift).
struct Film {
  bool active = false, shift = true;
  int groups = 1;
  int dim = 0;
  Conv conv;  // (condition) -> ((shift ? 2 : 1) * dim)

  // x: (dim, T), condition: (condition channels, T) -> (dim, T).
  Signal apply(const Signal& x, const Signal& condition) const;
};

// Every activation NAM's trainer writes. Parameters are float32 as NAM reads them.
struct Activation {
  enum class Kind {
    Tanh,
    Hardtanh,
    ReLU,
    LeakyReLU,
    PReLU,
    Sigmoid,
    SiLU,
    Hardswish,
    LeakyHardtanh,
    Softsign
  };
  Kind kind = Kind::Tanh;
  std::vector<double> slopes{0.01};  // LeakyReLU: one; PReLU: one, or one per channel
  double min_val = -1, max_val = 1, min_slope = 0.01, max_slope = 0.01;  // LeakyHardtanh

  // A string ("ReLU") or an object ({"type": "LeakyReLU", "negative_slope": 0.02}).
  static Activation parse(const JsonValue& v);
  // x is channel `channel` of the activated block (PReLU's slope index).
  double operator()(double x, int channel) const;
  std::string name() const;
};

// One model of a .nam file, evaluated on a whole signal from its initial state.
class Node {
 public:
  virtual ~Node() = default;
  virtual int in_channels() const { return 1; }
  virtual int out_channels() const { return 1; }
  // x: (in_channels, T) -> (out_channels, T), starting from the model's initial state (zero
  // history; an LSTM's stored initial state) with no pre-warming.
  virtual Signal forward(const Signal& x) const = 0;
  // How many samples of silence NAM's runtime feeds the model at reset before the first real one.
  virtual long prewarm_samples() const = 0;
  // The model that runs at slimmable size `slim` in [0, 1] (itself when it is not slimmable).
  virtual std::shared_ptr<const Node> at_size(double slim) const = 0;
  // The sizes a slimmable model offers: the slim values where it changes, empty when it does not.
  virtual std::vector<double> size_breakpoints() const { return {}; }
  // One line per model: architecture and shape.
  virtual std::string describe() const = 0;
};

// Reads one model object ({"version", "architecture", "config", "weights", ...}) of a .nam file,
// top level or nested (condition_dsp, a SlimmableContainer's submodels).
std::shared_ptr<const Node> read_model(const JsonValue& model);

// Architecture readers, each consuming its config and the model's weights.
// The LSTM's sample rate (-1: unknown) sets its pre-warm length.
std::shared_ptr<const Node> read_wavenet(JsonObject& config, WeightReader& weights);
std::shared_ptr<const Node> read_lstm(JsonObject& config, WeightReader& weights,
                                      double sample_rate);
std::shared_ptr<const Node> read_convnet(JsonObject& config, WeightReader& weights);
std::shared_ptr<const Node> read_linear(JsonObject& config, WeightReader& weights);
std::shared_ptr<const Node> read_slimmable_container(JsonObject& config);

// A positive integer config value, checked against a sanity bound so that hostile files fail
// cleanly.
int positive_int(const JsonValue& v, long max = 1 << 20);

}  // namespace namk::reference
