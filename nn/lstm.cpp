// See lstm.h: the config's checks and the layers; nn/stacked_model.cpp wires them.
#include "nn/lstm.h"

#include "base/error.h"

namespace namk {

std::vector<LstmLayer> build_lstm_layers(const ModelConfig& config, Index inputs, ParamLayout& layout) {
  const LstmConfig& c = config.lstm;
  if (c.input_size != 1)
    throw InputError(describe_error("model config", "config.input_size", "1 (the audio)",
                                    std::to_string(c.input_size)));
  if (c.hidden_size < 1 || c.num_layers < 1)
    throw InputError(describe_error("model config", "config.hidden_size, config.num_layers",
                                    "at least 1", std::to_string(std::min(c.hidden_size, c.num_layers))));
  std::vector<LstmLayer> layers;
  for (Index l = 0; l < c.num_layers; ++l)
    layers.emplace_back(layout, "lstm[" + std::to_string(l) + "]", l == 0 ? inputs : c.hidden_size, c.hidden_size);
  return layers;
}

}  // namespace namk
