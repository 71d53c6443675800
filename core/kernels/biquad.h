// Second-order IIR filters (biquads): the filter itself, its backward, and the textbook designs of
// a tone control (shelves and a peak) with their derivatives, so a network can learn to set an
// equaliser's gain, frequency and Q and be trained through it.
//
// Filter, direct form I, normalised so a0 = 1:
//   y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2] - a1 y[n-1] - a2 y[n-2]
// Direct form I keeps the past inputs and outputs themselves as the state, so a block boundary
// changes nothing: streaming in blocks of any size gives the bits of one call over the whole
// signal. The recursion runs in double: a shelf at 100 Hz at 48 kHz has poles within 1e-2 of the
// unit circle, where float state would add audible noise; it costs a few multiply-adds a sample.
#pragma once

#include <array>

#include "core/scalar.h"

namespace namk {

struct Biquad {
  double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;  // identity
};

// The past two inputs and outputs; zeros at reset.
struct BiquadState {
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
};

// x, y: n samples (y may alias x). Advances the state.
void biquad_forward(const Biquad& f, const Scalar* x, Scalar* y, Index n, BiquadState& state);

// Backward of biquad_forward over one signal that started from zero state: given x, the output y it
// produced and dy = dL/dy, adds dL/dx into dx (skipped when dx is null) and returns
// dL/d(b0, b1, b2, a1, a2). The adjoint of a causal recursion runs backwards in time:
// u = dy filtered by 1/A(z) in reverse, then dL/dx[m] = sum_k b_k u[m+k],
// dL/db_k = sum_n u[n] x[n-k], dL/da_k = -sum_n u[n] y[n-k].
std::array<double, 5> biquad_backward(const Biquad& f, const Scalar* x, const Scalar* y, const Scalar* dy,
                                      Scalar* dx, Index n);

// The Audio EQ Cookbook's sections (Robert Bristow-Johnson's formulas), stable for any
// 0 < frequency < Nyquist and Q > 0. The tone controls (shelves and peak) are unity gain at 0 dB
// and for any gain; the passes ignore the gain. The synthetic amps (data/) build on them too.
enum class BiquadKind { LowPass, HighPass, AllPass, Peak, LowShelf, HighShelf };

// A designed section and the derivatives of its five coefficients (b0, b1, b2, a1, a2) with
// respect to the design inputs (gain in dB, frequency in Hz, Q), exact (forward-mode derivatives).
struct BiquadDesign {
  Biquad filter;
  std::array<std::array<double, 3>, 5> d;  // d[coefficient][input]
};
BiquadDesign design_biquad(BiquadKind kind, double gain_db, double frequency, double q, double sample_rate);
// The same filter without the derivatives (bit-identical to design_biquad(...).filter), for
// streaming and the synthetic amps, which never differentiate.
Biquad design_biquad_filter(BiquadKind kind, double gain_db, double frequency, double q, double sample_rate);

}  // namespace namk
