// The architectures a model may be: each name with its reader and writer of NAM's "config" object
// and its builder. The one list of them; the factory, the config and file readers and the file
// writer look a name up here instead of comparing strings.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/json.h"
#include "nn/model.h"

namespace namk {

struct Architecture {
  const char* name;
  // NAM's "config" object into config's part for this architecture (model_config.cpp).
  void (*read_config)(const Json& j, ModelConfig& config);
  // That part back out as NAM's "config" object (model_file.cpp).
  std::string (*write_config)(const ModelConfig& config);
  std::unique_ptr<Model> (*build)(const ModelConfig& config);
  // One line of the shape for `info`: "2 layer arrays: 16ch K=3 x10 layers ...".
  std::string (*describe)(const ModelConfig& config);
  // NAM's WaveNet files store head_scale after the weights.
  bool head_scale_in_weights;
  // Where a file's weight order differs from the layout's (nullptr: it does not), reorders the
  // architecture's weights between them. Its own inverse: one call converts either way.
  // layout: the model's, which says where each tensor is.
  void (*swap_file_order)(const ParamLayout& layout, std::span<Scalar> weights) = nullptr;
  // NAM has it: a model without knobs is written as a NAM file. Ours only (false): every file of
  // it is a nam-knobs file, knobs or not.
  bool nam = true;
  // Whether knobs may condition a config, and whether it can be trained (nullptr: always). A
  // WaveNet with NAM 0.6's further layer options runs without knobs; one with a condition_dsp runs
  // for inference only.
  bool (*takes_knobs)(const ModelConfig& config) = nullptr;
  bool (*trainable)(const ModelConfig& config) = nullptr;
};

// nullptr for an unknown name.
const Architecture* find_architecture(std::string_view name);
// What the config's architecture says (above); false for an unknown architecture.
bool takes_knobs(const ModelConfig& config);
bool trainable(const ModelConfig& config);
// "WaveNet, LSTM, ConvNet, Linear": for messages.
std::string architecture_names();

// The readers and writers the list points to.
void read_wavenet_config(const Json& j, ModelConfig& config);
void read_lstm_config(const Json& j, ModelConfig& config);
void read_convnet_config(const Json& j, ModelConfig& config);
void read_linear_config(const Json& j, ModelConfig& config);
void read_tone_stack_wavenet_config(const Json& j, ModelConfig& config);
std::string write_wavenet_config(const ModelConfig& config);
std::string write_lstm_config(const ModelConfig& config);
std::string write_convnet_config(const ModelConfig& config);
std::string write_linear_config(const ModelConfig& config);
std::string write_tone_stack_wavenet_config(const ModelConfig& config);
// NAM's runtime applies a Linear file's first weight to the present sample and the last to the
// oldest: the reverse of the layout's (PyTorch's) tap order.
void reverse_linear_taps(const ParamLayout& layout, std::span<Scalar> weights);

}  // namespace namk
