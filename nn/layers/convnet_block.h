// One block of NAM's ConvNet: a dilated causal conv with kernel 2 and a bias, then (with knobs)
// FiLM, then the activation. Parameters, NAM's order: conv.weight (C, in, 2), conv.bias (C).
// FiLM is applied to the conv's output, not folded into its weights: folding rounds differently,
// and ConvNet files have always run unfolded. NAM's batchnorm is left out (the model rejects it).
// forward() builds the training graph; process() runs the same conv on a State the model owns.
#pragma once

#include <string>

#include "core/kernels/pointwise.h"
#include "nn/history.h"
#include "nn/layers/conv1d_layer.h"

namespace namk {

class ConvNetBlock {
 public:
  static constexpr Index kTaps = 2;  // NAM's ConvNet always uses kernel size 2

  ConvNetBlock() = default;
  // Registers name.conv.weight and name.conv.bias.
  ConvNetBlock(ParamLayout& layout, const std::string& name, Index input, Index channels, Index dilation,
               Activation activation);

  Index channels() const { return conv_.shape().out; }  // of the output
  Index reach() const { return conv_.reach(); }
  // Per output sample: the conv and the activation (FiLM is counted by the model).
  double flops() const { return conv_.flops() + double(conv_.shape().out); }

  // x: (in, T + reach()) -> (C, T).
  Var forward(Tape& t, const ParamBuffers& p, Var x, const FilmSite& film, Var cond) const;

  struct State {
    Conv1dLayer::State conv;
    History input;  // the block's input, with reach() samples of history
    Mat y;          // (C, max_block)
  };
  void prepare(const Scalar* params, Index max_block, State& s) const;
  void reset(const Scalar*, State& s) const noexcept { s.input.reset(); }
  // x: (in, n) -> the returned (C, n) view of s.y, valid until the next call.
  ConstMatMap process(const Scalar* params, State& s, const FilmSite& film, const Vec& cond, ConstMatRef x) const noexcept;

 private:
  Conv1dLayer conv_;
  Activation activation_ = Activation::Tanh;
};

}  // namespace namk
