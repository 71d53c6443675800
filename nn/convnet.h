// NAM's ConvNet (blocks of dilated conv with kernel 2 -> activation, then a 1x1 head to one
// output) and NAM's Linear (one FIR of length receptive_field). Knobs: FiLM modulates each block's
// pre-activation (Linear: its output); concat adds the knobs as input channels.
// Parameters, NAM's order: ConvNet: per block conv (C, in, 2) and bias (C); head (1, C) and bias
// (1). Linear: weight (1, in, K) and bias (1) when bias is set.
// Left out: ConvNet's batchnorm (batch statistics do not fit per-item training graphs); configs
// asking for it are rejected.
#pragma once

#include "nn/history.h"
#include "nn/model.h"

namespace namk {

class ConvNet final : public Model {
 public:
  explicit ConvNet(const ModelConfig& config);

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;

 private:
  struct Block {
    Index input = 1, dilation = 1, weight = 0, bias = 0;
  };
  struct BlockStream {
    Mat weight;     // packed (C, 2*in)
    History input;  // the block's input
  };

  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;

  std::vector<Block> blocks_;
  Index head_weight_ = 0, head_bias_ = 0;
  std::vector<BlockStream> streams_;
  Mat out_, head_weight_packed_;
};

class Linear final : public Model {
 public:
  explicit Linear(const ModelConfig& config);

  Index receptive_field() const override { return config_.linear.receptive_field; }
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override { input_.reset(); }

  Index inputs_ = 1;
  Index weight_at_ = 0, bias_ = -1;  // offsets in params_
  Mat weight_;  // packed (1, K*inputs)
  History input_;
};

}  // namespace namk
