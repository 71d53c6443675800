// Real FFTs of power-of-two sizes over a batch of frames (one frame per column), the STFT's engine.
// The fast kernels transform rfft_lanes() frames at once, one frame per SIMD lane, so every
// butterfly is plain vector arithmetic with no shuffles; the _naive ones (fft_reference.cpp) are
// direct DFTs in double, the test oracle and the only path with NAMK_TUNED_KERNELS OFF. Other sizes, complex input and scaling options are left out.
#pragma once

#include "core/scalar.h"

namespace namk {

// n >= 2 and a power of two: the sizes the fast kernels take (the STFT falls back to a generic FFT
// for the others).
bool rfft_size_supported(Index n);
// Frames per vector in this build (4 floats with SSE2, 16 with AVX-512): a batch whose column
// count is a multiple of it fills every lane.
Index rfft_lanes();

// frames: (n, count)  spectrum: (2*(n/2 + 1), count), each column X[k] = sum_t x[t] e^{-2πikt/n}
// for k = 0..n/2 as interleaved (re, im) pairs. Overwrites spectrum.
void rfft_forward(ConstMatRef frames, MatRef spectrum);
// The unscaled inverse of a one-sided spectrum: x[t] = sum_{k<n} X[k] e^{+2πikt/n}, the bins above
// n/2 being the conjugates X[n-k] = conj(X[k]); the imaginary parts of bins 0 and n/2 are ignored.
// spectrum: (2*(n/2 + 1), count)  frames: (n, count), overwritten.
void rfft_inverse(ConstMatRef spectrum, MatRef frames);

void rfft_forward_naive(ConstMatRef frames, MatRef spectrum);
void rfft_inverse_naive(ConstMatRef spectrum, MatRef frames);

}  // namespace namk
