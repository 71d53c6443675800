// See architecture.h.
#include "nn/architecture.h"

#include <algorithm>
#include <array>

#include "base/error.h"
#include "nn/convnet.h"
#include "nn/lstm.h"
#include "nn/wavenet.h"

namespace namk {

namespace {
template <class M>
std::unique_ptr<Model> build(const ModelConfig& config) {
  return std::make_unique<M>(config);
}

std::string describe_wavenet(const ModelConfig& c) {
  std::string s = std::to_string(c.wavenet.layers.size()) + " layer arrays:";
  for (const LayerArrayConfig& l : c.wavenet.layers) {
    std::string k = std::to_string(l.kernel_size);
    if (!l.kernel_sizes.empty()) {
      const auto [lo, hi] = std::minmax_element(l.kernel_sizes.begin(), l.kernel_sizes.end());
      k = std::to_string(*lo) + ".." + std::to_string(*hi);
    }
    s += std::string(&l == &c.wavenet.layers.front() ? " " : ", ") + std::to_string(l.channels) + "ch K=" + k + " x" +
         std::to_string(l.dilations.size()) + " layers" + (l.gated ? " gated" : "") +
         (l.activations.empty() ? "" : " (per-layer activations)") +
         (l.head_kernel_size > 1 ? " head K=" + std::to_string(l.head_kernel_size) : "");
  }
  return s + "; head_scale " + format_number(c.wavenet.head_scale);
}
std::string describe_lstm(const ModelConfig& c) {
  return std::to_string(c.lstm.num_layers) + " layers, hidden " + std::to_string(c.lstm.hidden_size);
}
std::string describe_convnet(const ModelConfig& c) {
  return std::to_string(c.convnet.channels) + "ch x" + std::to_string(c.convnet.dilations.size()) + " blocks" +
         (c.convnet.batchnorm ? ", batchnorm" : "");
}
std::string describe_linear(const ModelConfig& c) {
  return std::to_string(c.linear.receptive_field) + " taps" + (c.linear.bias ? " + bias" : "");
}

const std::array<Architecture, 4> kArchitectures{{
    {"WaveNet", read_wavenet_config, write_wavenet_config, build<WaveNet>, describe_wavenet, true},
    {"LSTM", read_lstm_config, write_lstm_config, build<Lstm>, describe_lstm, false},
    {"ConvNet", read_convnet_config, write_convnet_config, build<ConvNet>, describe_convnet, false},
    {"Linear", read_linear_config, write_linear_config, build<Linear>, describe_linear, false, reverse_linear_taps},
}};
}  // namespace

const Architecture* find_architecture(std::string_view name) {
  for (const Architecture& a : kArchitectures)
    if (name == a.name) return &a;
  return nullptr;
}

void reverse_linear_taps(const ModelConfig& config, std::span<Scalar> weights) {
  // (1, inputs, taps), the tap fastest, then the bias: each input's taps reversed.
  const auto taps = static_cast<std::ptrdiff_t>(config.linear.receptive_field);
  const auto inputs = (static_cast<std::ptrdiff_t>(weights.size()) - (config.linear.bias ? 1 : 0)) / taps;
  for (std::ptrdiff_t i = 0; i < inputs; ++i) std::reverse(weights.begin() + i * taps, weights.begin() + (i + 1) * taps);
}

std::string architecture_names() {
  std::string names;
  for (const Architecture& a : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(a.name);
  return names;
}

}  // namespace namk
