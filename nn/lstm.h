// NAM's LSTM: stacked LSTM layers with learned initial state (nn/layers/lstm_layer.h), then a linear
// head to one output (nn/stacked_model.h). Parameters in NAM's order: each layer's weight, bias,
// initial hidden and cell state; then the head's weight (1, H) and bias (1). Knobs: concat adds them
// as input channels (GuitarML Proteus's way); FiLM modulates each layer's output sequence.
#pragma once

#include "nn/layers/lstm_layer.h"
#include "nn/stacked_model.h"

namespace namk {

using Lstm = StackedModel<LstmLayer>;

// config.lstm checked, its layers registered in layout.
std::vector<LstmLayer> build_lstm_layers(const ModelConfig& config, Index inputs, ParamLayout& layout);

}  // namespace namk
