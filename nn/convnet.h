// NAM's ConvNet (blocks of dilated conv with kernel 2 -> activation, nn/layers/convnet_block.h, then
// a 1x1 head to one output, nn/stacked_model.h) and NAM's Linear (one FIR of length receptive_field,
// a conv layer, nn/layers/conv1d_layer.h). Knobs: FiLM modulates each block's pre-activation
// (Linear: its output); concat adds the knobs as input channels.
// Parameters, NAM's order: ConvNet: per block conv (C, in, 2) and bias (C); head (1, C) and bias
// (1). Linear: weight (1, in, K) and bias (1) when bias is set.
// Left out: ConvNet's batchnorm (batch statistics do not fit per-item training graphs); configs
// asking for it are rejected.
#pragma once

#include "nn/history.h"
#include "nn/layers/conv1d_layer.h"
#include "nn/layers/convnet_block.h"
#include "nn/stacked_model.h"

namespace namk {

using ConvNet = StackedModel<ConvNetBlock>;

// config.convnet checked, its blocks registered in layout.
std::vector<ConvNetBlock> build_convnet_blocks(const ModelConfig& config, Index inputs, ParamLayout& layout);

class Linear final : public Model {
 public:
  explicit Linear(const ModelConfig& config);

  Index receptive_field() const override { return fir_.reach() + 1; }
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override { input_.reset(); }

  Conv1dLayer fir_;
  Conv1dLayer::State state_;
  History input_;
};

}  // namespace namk
