// Time-domain training losses, composed from core ops so their gradients come from the tape.
// Shapes: prediction and target are (1, T) nodes of one batch item; each loss returns a 1x1 node.
// Batch averaging is the trainer's job (it sums per-item gradients scaled by 1/batch).
// The multi-resolution STFT loss lives in mrstft_loss.h.
#pragma once

#include "core/esr.h"
#include "core/ops.h"

namespace namk {

// mean((prediction - target)^2)
Var mse_loss(Tape& t, Var prediction, Var target);

// Error-to-signal ratio (core/esr.h) on the tape: mean((prediction - target)^2) /
// (mean(target^2) + kEsrEpsilon). The denominator is a constant of the data, so only the numerator
// is differentiated.
Var esr_loss(Tape& t, Var prediction, Var target);

// First-order pre-emphasis y[n] - coef * y[n-1]: one column shorter than x. Applied to both
// prediction and target before a loss, it weights high frequencies (NAM uses coef 0.85).
Var pre_emphasis(Tape& t, Var x, Scalar coef);

// DC loss (auraloss's): (mean(target) - mean(prediction))^2 / mean(target^2).
Var dc_loss(Tape& t, Var prediction, Var target);

}  // namespace namk
