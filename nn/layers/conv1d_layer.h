// A dilated causal conv (K taps) or a 1x1 / dense layer (K = 1), with an optional bias and an
// optional FiLM after it, folded into it (nn/layers/film.h). Parameters, NAM's order: weight
// (out, in, K), then bias (out); both start uniform in +-1/sqrt(in*K). WaveNet's rechannel and
// head rechannel are these; the residual layer registers its three convs through it.
// forward() builds the training graph; prepare() packs the weights once into a State the model
// owns, and process() runs the same kernel on it.
#pragma once

#include <string>

#include "core/kernels/residual_layer_planar.h"
#include "core/tape.h"
#include "nn/layers/film.h"
#include "nn/layers/param_buffers.h"
#include "nn/param_layout.h"

namespace namk {

struct Conv1dShape {
  Index in = 1, out = 1, kernel_size = 1, dilation = 1;
  bool bias = false;
  // NAM names a conv's weight (out, in, K) and a 1x1's (out, in): the same scalars either way.
  bool taps_axis = false;
};

class Conv1dLayer {
 public:
  Conv1dLayer() = default;
  // Registers name.weight and, with a bias, name.bias (an empty name: weight and bias).
  Conv1dLayer(ParamLayout& layout, const std::string& name, const Conv1dShape& shape);

  const Conv1dShape& shape() const { return shape_; }
  bool has_bias() const { return bias_ >= 0; }
  Index weight_offset() const { return weight_; }
  Index bias_offset() const { return bias_; }
  // Samples of history the conv reads before the current one.
  Index reach() const { return (shape_.kernel_size - 1) * shape_.dilation; }
  // Per output sample: a multiply-add is 2, a bias add 1.
  double flops() const;

  // The weight (out, K*in) and bias (out, 1) (Var{} without one) on the tape.
  Var weight(Tape& t, const ParamBuffers& p) const;
  Var bias(Tape& t, const ParamBuffers& p) const;
  // x: (in, T + reach()) -> (out, T), FiLM at film (from cond) folded in when the site is active.
  Var forward(Tape& t, const ParamBuffers& p, Var x, const FilmSite& film = {}, Var cond = {}) const;

  // Packed weights; with FiLM, the folded ones in use and the plain ones each fold starts from.
  struct State {
    Mat weight, bias, weight_plain, bias_plain;
  };
  void pack(const Scalar* params, MatRef weight) const;  // weight: (out, K*in)
  void prepare(const Scalar* params, const FilmSite& film, State& s) const;
  void fold_film(const FilmSite& film, const Vec& cond, State& s) const noexcept;
  // x: (in, n + reach()) -> y: (out, n).
  void process(const State& s, ConstMatRef x, MatRef y) const noexcept;
  // The same conv for conv_planar (core/kernels/residual_layer_planar.h), on s's weights.
  PlanarConv planar(const State& s) const {
    return {s.weight.data(), s.bias.size() > 0 ? s.bias.data() : nullptr, shape_.in, shape_.out, shape_.kernel_size,
            shape_.dilation};
  }

  // Writes this conv, with FiLM at cond folded in, into dst at to's offsets (NAM layout). Throws
  // UsageError when FiLM shifts and to has no bias to take the shift.
  void bake(const Scalar* src, const FilmSite& film, const Vec& cond, const Conv1dLayer& to, Scalar* dst) const;

 private:
  Conv1dShape shape_;
  Index weight_ = 0, bias_ = -1;  // offsets of the views; -1: no bias
};

}  // namespace namk
