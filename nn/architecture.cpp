// See architecture.h.
#include "nn/architecture.h"

#include <algorithm>
#include <array>

#include "base/error.h"
#include "nn/convnet.h"
#include "nn/lstm.h"
#include "nn/tone_stack_wavenet.h"
#include "nn/wavenet.h"

namespace namk {

namespace {
template <class M>
std::unique_ptr<Model> build(const ModelConfig& config) {
  return std::make_unique<M>(config);
}
std::unique_ptr<Model> build_lstm(const ModelConfig& config) { return std::make_unique<Lstm>(config, build_lstm_layers); }
std::unique_ptr<Model> build_convnet(const ModelConfig& config) {
  return std::make_unique<ConvNet>(config, build_convnet_blocks);
}

// NAM 0.6's layer options an array uses (inference only), in a few words.
std::string describe_options(const LayerArrayConfig& l) {
  if (!l.general) return "";
  const LayerArrayOptions& o = *l.general;
  std::string s = " [0.6 options: bottleneck " + std::to_string(o.bottleneck);
  if (o.groups_input > 1 || o.groups_input_mixin > 1) s += ", grouped convs";
  if (!o.layer1x1) s += ", no layer1x1";
  if (o.head1x1) s += ", head1x1 " + std::to_string(o.head1x1_out_channels);
  if (std::count(o.gating.begin(), o.gating.end(), Gating::Blended) > 0) s += ", blended";
  const auto films = std::count_if(o.films.begin(), o.films.end(), [](const LayerFilm& f) { return f.active; });
  if (films > 0) s += ", FiLM at " + std::to_string(films) + " sites";
  return s + "]";
}

std::string describe_stage(const WaveNetConfig& w) {
  std::string s = std::to_string(w.layers.size()) + (w.layers.size() == 1 ? " layer array:" : " layer arrays:");
  for (const LayerArrayConfig& l : w.layers) {
    std::string k = std::to_string(l.kernel_size);
    if (!l.kernel_sizes.empty()) {
      const auto [lo, hi] = std::minmax_element(l.kernel_sizes.begin(), l.kernel_sizes.end());
      k = std::to_string(*lo) + ".." + std::to_string(*hi);
    }
    s += std::string(&l == &w.layers.front() ? " " : ", ") + std::to_string(l.channels) + "ch K=" + k + " x" +
         std::to_string(l.dilations.size()) + " layers" + (l.gated ? " gated" : "") +
         (l.activations.empty() ? "" : " (per-layer activations)") +
         (l.head_kernel_size > 1 ? " head K=" + std::to_string(l.head_kernel_size) : "") + describe_options(l);
  }
  if (w.condition_dsp) s += "; condition from a WaveNet (" + describe_stage(*w.condition_dsp->config) + ")";
  return s + "; head_scale " + format_number(w.head_scale);
}
std::string describe_wavenet(const ModelConfig& c) { return describe_stage(c.wavenet); }
std::string describe_tone_stack_wavenet(const ModelConfig& c) {
  return "preamp " + describe_stage(c.tone_stack_wavenet.pre) + "; tone stack of " +
         std::to_string(c.tone_stack_wavenet.tone_stack.sections.size()) + " sections; power amp " +
         describe_stage(c.tone_stack_wavenet.post);
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

bool wavenet_takes_knobs(const ModelConfig& c) { return c.wavenet.takes_knobs(); }
bool wavenet_trainable(const ModelConfig& c) { return !c.wavenet.inference_only(); }

const std::array<Architecture, 5> kArchitectures{{
    {"WaveNet", read_wavenet_config, write_wavenet_config, build<WaveNet>, describe_wavenet, true, nullptr, true,
     wavenet_takes_knobs, wavenet_trainable},
    {"LSTM", read_lstm_config, write_lstm_config, build_lstm, describe_lstm, false},
    {"ConvNet", read_convnet_config, write_convnet_config, build_convnet, describe_convnet, false},
    {"Linear", read_linear_config, write_linear_config, build<Linear>, describe_linear, false, reverse_linear_taps},
    // Ours, knob models only: no NAM file has it.
    {"ToneStackWaveNet", read_tone_stack_wavenet_config, write_tone_stack_wavenet_config, build<ToneStackWaveNet>,
     describe_tone_stack_wavenet, false, nullptr, false},
}};
}  // namespace

const Architecture* find_architecture(std::string_view name) {
  for (const Architecture& a : kArchitectures)
    if (name == a.name) return &a;
  return nullptr;
}

bool takes_knobs(const ModelConfig& config) {
  const Architecture* a = find_architecture(config.architecture);
  return a && (!a->takes_knobs || a->takes_knobs(config));
}

bool trainable(const ModelConfig& config) {
  const Architecture* a = find_architecture(config.architecture);
  return a && (!a->trainable || a->trainable(config));
}

void reverse_linear_taps(const ParamLayout& layout, std::span<Scalar> weights) {
  const ParamView& w = layout.view("weight");  // (1, inputs, taps), the tap fastest
  const Index taps = w.shape[2];
  for (Index i = 0; i < w.shape[1]; ++i) {
    const auto first = weights.begin() + static_cast<std::ptrdiff_t>(w.offset + i * taps);
    std::reverse(first, first + static_cast<std::ptrdiff_t>(taps));
  }
}

std::string architecture_names() {
  std::string names;
  for (const Architecture& a : kArchitectures) names += (names.empty() ? "" : ", ") + std::string(a.name);
  return names;
}

}  // namespace namk
