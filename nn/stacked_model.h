// NAM's LSTM and ConvNet are one shape: a stack of blocks (LstmLayer or ConvNetBlock, nn/layers/),
// each with a FiLM site when knobs modulate it, then a 1x1 head to one output (Conv1dLayer). Concat
// adds the knobs as input channels of the first block. Parameters: each block's, then head.weight
// (1, C) and head.bias (1), NAM's .nam "weights" order.
// A Block has: channels(), reach(), flops(); forward(t, p, x, film, cond); a State with
// prepare(params, max_block, s), reset(params, s) and process(params, s, film, cond, x) returning
// its output block. The blocks and their config checks come from a builder per architecture
// (lstm.h, convnet.h).
#pragma once

#include <vector>

#include "nn/layers/conv1d_layer.h"
#include "nn/model.h"

namespace namk {

template <class Block>
class StackedModel final : public Model {
 public:
  // Checks config's part for this architecture and registers the blocks in order; inputs: the first
  // block's input channels (the audio, and concat's knobs).
  using BuildBlocks = std::vector<Block> (*)(const ModelConfig& config, Index inputs, ParamLayout& layout);
  StackedModel(const ModelConfig& config, BuildBlocks build);

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;

  std::vector<Block> blocks_;
  Conv1dLayer head_;
  std::vector<typename Block::State> states_;
  Conv1dLayer::State head_state_;
  Mat input_;  // the first block's input, (1 + concat's knobs, max_block)
  // The head (C -> 1, a 1x1) run time-major (core/kernels/residual_layer_planar.h's conv, the
  // channel-pair kernel's order, so the same bits): the last block's output as planes, and the
  // output plane for blocks that are not whole vectors. Why: by columns, one output a column,
  // the head was 9% of an LSTM-16's streaming.
  bool planar_head_ = false;
  Mat head_planes_, head_plane_out_;
};

}  // namespace namk
