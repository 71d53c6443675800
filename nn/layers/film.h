// FiLM (y = gamma ⊙ x + beta per channel) and its fold into the conv it follows. With the knobs
// constant (over a training item, or between knob moves while streaming), FiLM after a conv is
// itself a conv: the weight's rows scaled by gamma, the bias gamma ⊙ bias + beta. Training, the
// streaming refold and bake all fold through the functions here, on the film kernel, so they agree
// to the bit. A site says where its gamma (and, with shift, beta) sit in the conditioning column
// the knob conditioner computes (nn/layers/knob_conditioner.h).
#pragma once

#include "core/tape.h"

namespace namk {

struct FilmSite {
  Index offset = -1;  // of gamma in the conditioning column; -1: this site is not modulated
  Index channels = 0;
  bool shift = false;  // beta follows gamma
  bool active() const { return offset >= 0; }
  // Scalars of the conditioning column this site reads: what applying it costs per sample.
  Index outputs() const { return active() ? (shift ? 2 : 1) * channels : 0; }

  // Training: (channels, 1) slices of cond (the conditioner's output on the tape).
  Var gamma(Tape& t, Var cond) const;
  Var beta(Tape& t, Var cond) const;  // Var{} without shift
  // Streaming and bake: the same slices of a conditioning value.
  ConstMatMap gamma(const Vec& cond) const;
  ConstMatMap beta(const Vec& cond) const;  // empty without shift

  // FiLM on an activation x (channels, T), where it cannot be folded (LSTM, ConvNet, Linear).
  Var apply(Tape& t, Var x, Var cond) const;
  void apply(const Vec& cond, MatMap x) const noexcept;  // in place
};

// Training. weight: (C, any), rows scaled by gamma (C, 1). bias: gamma ⊙ bias + beta; with no bias
// (Var{}) beta alone, which may be Var{} too (no shift, no bias).
Var film_fold_weight(Tape& t, Var weight, Var gamma);
Var film_fold_bias(Tape& t, Var bias, Var gamma, Var beta);

// Streaming and bake, on matrices. folded has plain's shape; for the bias, an empty plain gives
// beta (folded then has beta's shape) and an empty beta no shift.
void film_fold_weight(ConstMatRef plain, ConstMatRef gamma, MatRef folded);
void film_fold_bias(ConstMatRef plain, ConstMatRef gamma, ConstMatRef beta, MatRef folded);

// Bake's bias fold, one element: gamma[o] * bias + beta[o] (identity at an inactive site). The
// same fold as film_fold_bias, but the compiler contracts it into one fused multiply-add where the
// film kernel rounds the product first, so the two can differ in the last bit. Bake has always
// rounded this way, and the baked files of tests/fixtures/renders are kept to the bit, so it stays.
Scalar film_fold_bias_element(const FilmSite& site, const Vec& cond, Index o, Scalar bias);

}  // namespace namk
