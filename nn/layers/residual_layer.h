// NAM's WaveNet residual layer (its _Layer): a dilated conv of the layer input plus the input mixer
// of the condition, an activation (gated or not), the 1x1 back to the residual stream, and the
// activation added to the array's head (skip) sum; FiLM, when the knobs modulate it, scales the
// pre-activation z and is folded into the conv and the mixer (nn/layers/film.h). Both entry points
// run one fused kernel (core/kernels/residual_layer.h): forward() through its tape op
// (residual_layer_op.h, beside this file), process() directly on packed weights.
// Parameters, NAM's order: conv (Cz, C, K), conv bias (Cz), input mixer (Cz, condition), 1x1 (C, C),
// 1x1 bias (C); Cz = 2C when gated.
#pragma once

#include <string>
#include <vector>

#include "core/kernels/pointwise.h"
#include "core/kernels/residual_layer_planar.h"
#include "nn/history.h"
#include "nn/layers/conv1d_layer.h"
#include "nn/layers/residual_layer_op.h"

namespace namk {

struct ResidualLayerConfig {
  Index channels = 1, condition_channels = 1, kernel_size = 1, dilation = 1;
  Activation activation = Activation::Tanh;
  bool gated = false;
};

class ResidualLayer {
 public:
  // Registers the tensors under name (e.g. "layers[0].layer[3]") and its FiLM site (Cz channels)
  // at the end of film_sites.
  ResidualLayer(ParamLayout& layout, const std::string& name, const ResidualLayerConfig& config,
                std::vector<Index>& film_sites);

  Index z_channels() const { return config_.gated ? 2 * config_.channels : config_.channels; }
  size_t film_site() const { return film_site_; }
  Index reach() const { return conv_.reach(); }
  // Per output sample; FiLM adds nothing, being folded into the conv while the knobs are still.
  double flops() const;

  // h: (C, T + reach()), condition: (C_cond, >= T), head: (C, >= T) or Var{} (first layer).
  // head_use: whether the caller reads head's value again (residual_layer_op.h).
  ResidualLayerResult forward(Tape& t, const ParamBuffers& p, Var h, Var condition, Var head, const FilmSite& film,
                              Var cond, HeadUse head_use = HeadUse::Keep) const;

  struct State {
    Mat conv, conv_bias, mixer, out, out_bias;
    Mat conv_plain, conv_bias_plain, mixer_plain;  // FiLM only: what each fold starts from
    Mat conv_packed, out_packed;                   // conv1d_pack's layouts (empty: none)
    History input;                                 // the layer's input h
    // The planar kernel with this state's weights (when planar()): it holds their addresses, which
    // a move keeps and a copy would not, so a State moves but is never copied. FiLM refolds the
    // weights in place.
    PlanarLayer planar;
    State() = default;
    State(State&&) = default;
    State& operator=(State&&) = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
  };
  // The scratch every layer of a model shares: z and post (Cz, n), a (C, n).
  struct Scratch {
    Mat z, post, a;
  };
  void prepare(const Scalar* params, const FilmSite& film, int max_block, State& s) const;
  void fold_film(const FilmSite& film, const Vec& cond, State& s) const noexcept;
  // Reads the block just written to s.input.next(n); head_in may alias head_out and is empty for
  // the first layer; h_next: (C, n). Views, not Refs: see residual_layer_stream.
  void process(State& s, const ConstMatView& condition, const ConstMatView& head_in, const MatView& head_out,
               const MatView& h_next, Scratch& scratch, Index n) const noexcept;
  // Whether process_planar() may run instead (kPlanarStreaming, and a tiny layer).
  bool planar() const;
  // The same layer time-major (residual_layer_planar.h): b.h, the input's window (C, reach() + n);
  // condition (C_cond, n); head (C, n), read when head_in, rewritten; h_next (C, n). Planes padded.
  static void process_planar(const State& s, const PlanarBlock& b) noexcept { run(s.planar, b); }

  // Writes this layer with the knobs' constant effect folded in (FiLM at cond; concat's knob
  // channels, the condition's rows after the audio, into the conv bias) into dst at to's offsets.
  void bake(const Scalar* src, const FilmSite& film, const Vec& cond, const ResidualLayer& to, Scalar* dst) const;

 private:
  ResidualLayerShape shape() const { return {config_.dilation, config_.activation, config_.gated}; }

  ResidualLayerConfig config_;
  Conv1dLayer conv_, mixer_, out_;
  size_t film_site_ = 0;
};

}  // namespace namk
