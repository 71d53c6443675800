// Differentiable spectral ops on a Tape: the STFT magnitude that the multi-resolution STFT loss
// (train/mrstft_loss.h) is built from. Framing and magnitude follow torch.stft/auraloss exactly;
// see core/kernels/stft.h. Only a single (1, T) signal: the trainer's batch is one item per tape.
#pragma once

#include "core/tape.h"

namespace namk {

// x: (1, T)  ->  (n_fft/2 + 1, 1 + T/hop) magnitudes (bins are rows, frames are columns; for odd
// n_fft the frame count is 1 + (T - 1)/hop, as in torch). Needs n_fft >= 2, hop >= 1,
// 1 <= win_length <= n_fft and T > n_fft/2 (the reflection), else throws UsageError.
// When x tracks a gradient the complex spectrum is kept on the tape for the backward.
Var stft_magnitude(Tape& t, Var x, Index n_fft, Index hop, Index win_length);

}  // namespace namk
