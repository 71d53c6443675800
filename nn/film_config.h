// The FiLM conditioner's settings, shared by model configs and the conditioner layer.
#pragma once

#include "core/kernels/pointwise.h"

namespace namk {

// FiLM conditioner: knobs (normalised) -> dense(hidden) -> activation -> dense -> every layer's
// gamma (and beta when shift), and each layer array's head when head is set.
struct FilmConfig {
  Index hidden = 16;
  Activation activation = Activation::Tanh;
  bool shift = true;
  bool head = false;
  // Each knob gets its own `hidden` units, which see no other knob, so the coefficients are a sum
  // of one function per knob. One-knob sweeps record each of those functions; a dense MLP would be
  // free to invent any interaction at combinations nobody recorded.
  bool separable = false;

  // The MLP's hidden units for n knobs, and whether unit `unit` reads knob `knob` (a separable
  // network's cross-knob weights count as zero whatever a buffer holds).
  Index units(Index n_knobs) const { return hidden * (separable ? n_knobs : 1); }
  bool unit_reads(Index unit, Index knob) const { return !separable || unit / hidden == knob; }
};

}  // namespace namk
