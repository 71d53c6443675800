// One WaveNet layer array (NAM's _LayerArray): the rechannel (a 1x1 from the array's input to its
// channels), the residual layers, and the head rechannel (a conv of the head sum to head_size, with
// an optional bias, and FiLM when the config modulates heads; 1x1 except in NAM 0.7's head blocks).
// The array's outputs are the residual stream (the next array's input) and the head (the next
// array's head input, or the model's output).
// An array with NAM 0.6 layer options (config.general) runs general layers (general_residual_layer.h)
// instead of the fused ones, and its head conv reads their head sum (bottleneck or head1x1 rows).
// Parameters, NAM's order: rechannel (C, in), each layer's (residual_layer.h), head rechannel
// (H, C, K) (+ bias (H)).
#pragma once

#include <string>
#include <vector>

#include "nn/layers/conv1d_layer.h"
#include "nn/layers/general_residual_layer.h"
#include "nn/layers/knob_conditioner.h"
#include "nn/layers/residual_layer.h"
#include "nn/model.h"
#include "nn/planar_history.h"

namespace namk {

class LayerArray {
 public:
  // condition_channels: the input mixer's rows (the audio, plus the knobs with concat); film_head:
  // the head is a FiLM site (registered after the layers' in film_sites).
  LayerArray(ParamLayout& layout, const std::string& name, const LayerArrayConfig& config, Index condition_channels,
             bool film_head, std::vector<Index>& film_sites);

  const LayerArrayConfig& config() const { return config_; }
  Index condition_channels() const { return condition_channels_; }
  Index z_channels() const;  // the widest layer's (layers may differ in gating)
  // Samples of history the array reads before the current one.
  Index reach() const;
  double flops() const;  // per output sample

  // x: (in, T + reach()), condition: (C_cond, >= T), head: the previous array's head or Var{}.
  // Returns the residual stream (C, T) and this array's head (H, T).
  ResidualLayerResult forward(Tape& t, const ParamBuffers& p, Var x, Var condition, Var head,
                              const KnobConditioner& knobs, Var cond) const;

  struct State {
    Conv1dLayer::State rechannel, head_rechannel;
    std::vector<ResidualLayer::State> layers;
    std::vector<GeneralResidualLayer::State> general;
    Mat head, head_out, out;  // (C, N), (H, N), (C, N)
    History head_history;     // the head sum, in place of head, when the head looks back
    // The planar path's (see process_planar): each layer's input as planes, and the block's
    // condition, head sum and last layer's output as planes (max_block + kPlanarPad per row).
    std::vector<PlanarHistory> planar_inputs;
    Mat planar_condition, planar_head, planar_out;
    Mat planar_x, planar_head_out;    // the rechannel's input and the head's output, when they take planes
    PlanarHistory planar_head_history;  // the head sum, when a head that looks back takes planes
  };
  void prepare(const Scalar* params, const KnobConditioner& knobs, int max_block, State& s) const;
  void reset(State& s) const noexcept;
  void fold_film(const KnobConditioner& knobs, const Vec& cond, State& s) const noexcept;
  // x: (in, n); head_in: the previous array's head (C, n) or empty. Leaves the residual stream in
  // s.out and the head in s.head_out (their first n columns).
  void process(State& s, const ConstMatRef& x, const ConstMatRef& condition, const ConstMatRef& head_in,
               ResidualLayer::Scratch& scratch, Index n) const noexcept;

  // Writes this array with the knobs' constant effect folded in into dst at to's offsets.
  void bake(const Scalar* src, const KnobConditioner& knobs, const Vec& cond, const LayerArray& to, Scalar* dst) const;

 private:
  FilmSite head_film(const KnobConditioner& knobs) const;
  // The general layers' forward without gradients: streaming's values, to the bit (see
  // general_residual_layer.h); with gradients forward() chains their tape-op forward instead.
  ResidualLayerResult forward_general(Tape& t, const ParamBuffers& p, Var h, Var condition, Var head) const;
  void process_general(State& s, ConstMatRef x, ConstMatRef condition, ConstMatRef head_in, Index n) const noexcept;
  // Every layer time-major (ResidualLayer::process_planar), when planar_: the rechannel's output,
  // the condition and the head input go to planes once per block, the last layer's output and the
  // head sum come back to columns for the array's output and its head conv. The same bits as the
  // layers' own process(), which the training graph matches.
  void process_planar(State& s, const ConstMatRef& x, const ConstMatRef& condition, const ConstMatRef& head_in,
                      Index n) const noexcept;
  // The head conv of the block's head sum (head, or the history it was written into).
  void process_head(State& s, ConstMatRef head, Index n) const noexcept;

  LayerArrayConfig config_;
  Index condition_channels_ = 1;
  Conv1dLayer rechannel_, head_rechannel_;
  std::vector<ResidualLayer> layers_;
  std::vector<GeneralResidualLayer> general_;  // instead of layers_ when config.general
  bool film_head_ = false;
  bool planar_ = false;  // every layer planar()
  // And the rechannel and head on planes too (conv_planar), where it takes their shapes.
  bool planar_rechannel_ = false, planar_head_ = false;
  size_t head_film_site_ = 0;
};

}  // namespace namk
