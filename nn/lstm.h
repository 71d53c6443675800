// NAM's LSTM: stacked LSTM layers with learned initial state (nn/layers/lstm_layer.h), then a linear
// head to one output (a 1x1 conv, nn/layers/conv1d_layer.h). Parameters in NAM's order: each layer's
// weight, bias, initial hidden and cell state; then the head's weight (1, H) and bias (1). Knobs:
// concat adds them as input channels (GuitarML Proteus's way); FiLM modulates each layer's output
// sequence (after the recurrence, so the state stays NAM's).
#pragma once

#include "nn/layers/conv1d_layer.h"
#include "nn/layers/lstm_layer.h"
#include "nn/model.h"

namespace namk {

class Lstm final : public Model {
 public:
  explicit Lstm(const ModelConfig& config);

  Index receptive_field() const override { return 1; }
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;

  std::vector<LstmLayer> layers_;
  Conv1dLayer head_;
  std::vector<LstmLayer::State> states_;
  Conv1dLayer::State head_state_;
  Mat input_;  // (1 + concat's knobs, max_block)
};

}  // namespace namk
