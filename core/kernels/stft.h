// Short-time Fourier transform magnitudes of one signal, framed exactly like torch.stft with
// center=True, pad_mode="reflect", a periodic Hann window of win_length centred in n_fft, onesided
// (auraloss's STFTLoss, which NAM trains with). Magnitude = sqrt(max(re² + im², kStftPowerFloor)),
// auraloss's clamp, so log(magnitude) stays finite on silence; a clamped bin passes no gradient.
// The fast kernels use fft.h's batched real FFT for power-of-two n_fft and Eigen's FFT (kissfft)
// for other sizes, with workspaces per thread; the _naive ones (stft_reference.cpp) are direct DFT
// loops in double, the test oracle and the only path with NAMK_TUNED_KERNELS OFF. Kernels trust their arguments (the op checks them:
// n_fft >= 2, 1 <= win_length <= n_fft, hop >= 1, T > n_fft/2 for the reflection).
// Other windows, complex output and batching are left out.
#pragma once

#include "core/scalar.h"

namespace namk {

// auraloss's eps: the floor on re² + im² before the square root.
constexpr double kStftPowerFloor = 1e-8;

inline Index stft_bins(Index n_fft) { return n_fft / 2 + 1; }
// torch's frame count after reflect-padding n_fft/2 samples on each side.
inline Index stft_frames(Index length, Index n_fft, Index hop) {
  return 1 + (length + 2 * (n_fft / 2) - n_fft) / hop;
}
// torch's reflect padding: mirror at the edge sample without repeating it (x[-1] reads x[1]).
inline Index stft_reflect(Index i, Index length) {
  return i < 0 ? -i : (i >= length ? 2 * (length - 1) - i : i);
}
// x: (1, T)  magnitude: (n_bins, n_frames)
// spectrum: (2*n_bins, n_frames), each column the frame's bins as interleaved (re, im) pairs, kept
// for the backward; empty to skip it (a target needs no gradient).
void stft_magnitude_forward(ConstMatRef x, Index n_fft, Index hop, Index win_length,
                            MatRef spectrum, MatRef magnitude);
// dmagnitude: like magnitude  dx: (1, T), accumulated (+=).
// The adjoint of |rfft(w·frame)| is w·irfft((dM/M)·X) over the one-sided bins, then overlap-add
// and the reflect padding's adjoint (padded samples fold back onto the samples they copied).
void stft_magnitude_backward(ConstMatRef spectrum, ConstMatRef magnitude, ConstMatRef dmagnitude,
                             Index n_fft, Index hop, Index win_length, MatRef dx);

void stft_magnitude_forward_naive(ConstMatRef x, Index n_fft, Index hop, Index win_length,
                                  MatRef spectrum, MatRef magnitude);
void stft_magnitude_backward_naive(ConstMatRef spectrum, ConstMatRef magnitude,
                                   ConstMatRef dmagnitude, Index n_fft, Index hop,
                                   Index win_length, MatRef dx);

}  // namespace namk
