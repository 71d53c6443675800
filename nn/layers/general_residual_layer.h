// NAM 0.6/0.7's residual layer with every option the fused layer (residual_layer.h) leaves out: a
// bottleneck, grouped convs, the layer1x1 and head1x1 blocks, blended gating, parameterised
// activations (PReLU, LeakyHardtanh, any LeakyReLU slope) and FiLM at its eight sites, each fed by
// the condition. run() computes the graph's values with the code process() runs (so the two agree
// to the bit, and any block size gives the same bits: every step is elementwise or a conv whose
// columns do not depend on the block length); forward() builds the same layer from tape ops for
// training, equal to them to rounding.
// Parameters, NAM's order: conv (Z, C/groups_input, K) and bias (Z); input mixer (Z, Cc/groups);
// layer1x1 (C, B/groups) and bias; head1x1 (H1, B/groups) and bias; then each active FiLM's 1x1
// (rows, Cc/groups) and bias in site order (LayerFilmSite). Z = B, or 2B when gated or blended.
#pragma once

#include <array>
#include <string>

#include "nn/history.h"
#include "nn/layers/conv1d_layer.h"
#include "nn/layers/residual_layer_op.h"
#include "nn/model.h"

namespace namk {

// A conv in groups: output rows of group g read only input rows of group g. Registered as a conv of
// in/groups inputs, which is NAM's (and PyTorch's) weight shape for it.
class GroupedConv {
 public:
  GroupedConv() = default;
  GroupedConv(ParamLayout& layout, const std::string& name, const Conv1dShape& full, Index groups);
  Index reach() const { return conv_.reach(); }
  double flops() const { return conv_.flops(); }
  struct Packed {
    Mat weight, bias;  // (out, K*in/groups), (out, 1) or empty
  };
  void pack(const Scalar* params, Packed& p) const;
  // x: (in, n + reach()) -> y: (out, n).
  void apply(const Packed& p, ConstMatRef x, MatRef y) const noexcept;
  // Training: the same conv from tape ops (one conv1d per group on row slices).
  Var forward(Tape& t, const ParamBuffers& p, Var x) const;

 private:
  Conv1dLayer conv_;
  Index groups_ = 1;
};

class GeneralResidualLayer {
 public:
  // Layer `layer` of an array whose config has general options.
  GeneralResidualLayer(ParamLayout& layout, const std::string& name, const LayerArrayConfig& array, size_t layer);

  Index reach() const { return conv_.reach(); }
  double flops() const;  // per output sample

  struct Packed {
    GroupedConv::Packed conv, mixer, layer1x1, head1x1;
    std::array<GroupedConv::Packed, kLayerFilmSites> films;
  };
  struct State {
    Packed weights;
    History input;                           // the conv's input (after conv_pre_film)
    Mat z, mix, u, r, head, film, condition;  // scratch, max_block columns
  };
  void pack(const Scalar* params, Packed& p) const;
  void prepare(const Scalar* params, int max_block, State& s) const;

  // Streaming: h (C, n) becomes the next layer's input, in place; head (H, n) gains this layer's
  // contribution; condition: (Cc, n).
  void process(State& s, ConstMatRef condition, MatRef h, MatRef head, Index n) const noexcept;
  // The whole signal at once: h (C, T + reach()), condition (Cc, T + reach()); h_next (C, T) is
  // written, head (H, T) added to.
  void run(const Scalar* params, ConstMatRef h, ConstMatRef condition, MatRef h_next, MatRef head) const;
  // Training: the same layer from tape ops, so gradients flow. h: (C, T + reach()), condition:
  // (Cc, >= T + reach()), head: (H, >= T) or Var{}. Equal to run() to rounding, not to the bit.
  ResidualLayerResult forward(Tape& t, const ParamBuffers& p, Var h, Var condition, Var head) const;

 private:
  // The layer's input as its dilated conv reads it: h, after conv_pre_film when that is on.
  void conv_input(const Packed& p, ConstMatRef h, ConstMatRef condition, MatRef out, MatRef film) const noexcept;
  // From the conv's input window (C, n + reach()) to h_next and the head sum, over n columns.
  void step(const Packed& p, ConstMatRef window, ConstMatRef condition, ConstMatRef h, MatRef h_next, MatRef head,
            State& scratch, Index n) const noexcept;
  // x (rows, n) *= scale (+ shift) of FiLM site f, computed from the condition into film.
  void film(const Packed& p, size_t f, ConstMatRef condition, MatRef x, MatRef film) const noexcept;
  Var film(Tape& t, const ParamBuffers& p, size_t f, Var x, Var condition) const;

  LayerArrayOptions options_;  // of the array
  size_t layer_ = 0;
  Index channels_ = 1, condition_channels_ = 1;
  GroupedConv conv_, mixer_, layer1x1_, head1x1_;
  std::array<GroupedConv, kLayerFilmSites> films_;
  std::array<Index, kLayerFilmSites> film_rows_{};
};

}  // namespace namk
