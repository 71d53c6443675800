// Differentiable spectral ops on a Tape: the STFT magnitude that the multi-resolution STFT loss
// (train/mrstft_loss.h) is built from, and the two distances between magnitudes it takes. Framing and magnitude follow torch.stft/auraloss exactly;
// see core/kernels/stft.h. Only a single (1, T) signal: the trainer's batch is one item per tape.
#pragma once

#include "core/tape.h"

namespace namk {

// x: (1, T)  ->  (n_fft/2 + 1, 1 + T/hop) magnitudes (bins are rows, frames are columns; for odd
// n_fft the frame count is 1 + (T - 1)/hop, as in torch). Needs n_fft >= 2, hop >= 1,
// 1 <= win_length <= n_fft and T > n_fft/2 (the reflection), else throws UsageError.
// When x tracks a gradient the complex spectrum is kept on the tape for the backward.
Var stft_magnitude(Tape& t, Var x, Index n_fft, Index hop, Index win_length);

// The distances are single ops rather than compositions of log, sub, abs, mean and mul: those made
// some ten tensors of the spectrogram's size per resolution, each written, its gradient zeroed and
// read back, an eighth of nano's training step for a few thousand FLOPs per frame.

// mean over all elements of |log y - log y_hat|, both (bins, frames) and positive (magnitudes are
// at least sqrt(kStftPowerFloor)): auraloss's log-magnitude L1 distance. Computed as
// |log(y / y_hat)|, one log per element; the gradient needs none:
// d/dy_hat = sign(y_hat - y) / (N y_hat), d/dy = sign(y - y_hat) / (N y), 0 where they are equal.
Var log_magnitude_distance(Tape& t, Var y_hat, Var y);

// sum over all elements of (y_hat - y)^2, with the gradient of the linear form
// <y_hat - y, stop_gradient(y_hat - y)>: d/dy_hat = (y_hat - y), d/dy = -(y_hat - y), half the
// square's own. The spectral convergence term ||E|| / ||Y|| of a batch whose norms are other
// items' sums (see mrstft_loss.cpp) scales this by 1 / (||E|| ||Y||), which gives its exact
// gradient E / (||E|| ||Y||) and its value.
Var frozen_error_energy(Tape& t, Var y_hat, Var y);

}  // namespace namk
