// Biquads for the synthetic amps (the demo amp's and the hard protocol amp's tone stack and cab,
// the alignment tests' recording chains): core's cookbook designs (core/kernels/biquad.h) run one
// sample at a time in double, in transposed direct form II, between the amps' per-sample
// nonlinear stages. Not a real-time or training component.
#pragma once

#include "core/kernels/biquad.h"

namespace namk {

struct SampleBiquad {
  Biquad f;
  double z1 = 0, z2 = 0;
  double operator()(double x) {  // transposed direct form II
    const double y = f.b0 * x + z1;
    z1 = f.b1 * x - f.a1 * y + z2;
    z2 = f.b2 * x - f.a2 * y;
    return y;
  }
};

inline SampleBiquad biquad(BiquadKind kind, double hz, double q, double gain_db = 0, int rate = 48000) {
  return {design_biquad(kind, gain_db, hz, q, rate).filter};
}

}  // namespace namk
