// NAM's LSTM: stacked LSTM layers with learned initial state, then a linear head to one output.
// Parameters per layer in NAM's order: w (4H, I+H) row-major, b (4H), h0 (H), c0 (H); then the head
// weight (H) and bias (1). Knobs: concat adds them as input channels (GuitarML Proteus's way);
// FiLM modulates each layer's output sequence (after the recurrence, so the state stays NAM's).
#pragma once

#include "nn/model.h"

namespace namk {

class Lstm final : public Model {
 public:
  explicit Lstm(const ModelConfig& config);

  Index receptive_field() const override { return 1; }
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;

 private:
  struct Layer {
    Index input = 1;
    Index weight = 0, state = 0;  // offsets; state = [b; h0; c0]
  };
  struct LayerStream {
    Mat weight;            // packed (4H, I+H)
    Vec h, c;              // carried state
    Mat y, gates, cells;   // (H, N), (4H, N), (H, N)
  };

  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;

  Index hidden_ = 0;
  std::vector<Layer> layers_;
  Index head_weight_ = 0, head_bias_ = 0;
  std::vector<LayerStream> streams_;
  Mat input_, head_weight_packed_;
};

}  // namespace namk
