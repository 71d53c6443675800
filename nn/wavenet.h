// NAM's WaveNet: one WaveNet stage (nn/layers/wavenet_stage.h), a chain of layer arrays whose last
// head, times head_scale, is the output. Knobs modulate each layer's pre-activation z (FiLM) or
// join the input mixer's condition (concat). Parameters: each array's, in order (NAM's .nam
// "weights" order); head_scale is a config constant, not a parameter. Streaming keeps, per layer,
// a linear ring buffer of its input (see history.h).
#pragma once

#include "nn/layers/wavenet_stage.h"
#include "nn/model.h"

namespace namk {

class WaveNet final : public Model {
 public:
  explicit WaveNet(const ModelConfig& config);

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;
  std::unique_ptr<Model> baked(std::span<const double> knob_values) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;

  WaveNetStage stage_;
  WaveNetStage::State state_;
};

}  // namespace namk
