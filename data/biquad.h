// RBJ audio-EQ-cookbook biquads in double (transposed direct form II), for the synthetic amps:
// the hard protocol amp's tone stack and cab, and the alignment tests' recording chains. Not a
// real-time or training component: nothing here runs in float or on the tape.
#pragma once

#include <cmath>

namespace namk {

struct Biquad {
  double b0, b1, b2, a1, a2, z1 = 0, z2 = 0;
  double operator()(double x) {  // transposed direct form II
    const double y = b0 * x + z1;
    z1 = b1 * x - a1 * y + z2;
    z2 = b2 * x - a2 * y;
    return y;
  }
};
enum class BiquadType { low_pass, high_pass, all_pass, peak, low_shelf, high_shelf };
// Robert Bristow-Johnson's audio EQ cookbook formulas.
inline Biquad biquad(BiquadType type, double hz, double q, double gain_db = 0, int rate = 48000) {
  const double w = 2 * 3.14159265358979323846 * hz / rate, c = std::cos(w),
               alpha = std::sin(w) / (2 * q);
  const double A = std::pow(10.0, gain_db / 40), sa = 2 * std::sqrt(A) * alpha;
  double b0, b1, b2, a0, a1, a2;
  switch (type) {
    case BiquadType::low_pass:
      b0 = (1 - c) / 2;
      b1 = 1 - c;
      b2 = b0;
      a0 = 1 + alpha;
      a1 = -2 * c;
      a2 = 1 - alpha;
      break;
    case BiquadType::high_pass:
      b0 = (1 + c) / 2;
      b1 = -(1 + c);
      b2 = b0;
      a0 = 1 + alpha;
      a1 = -2 * c;
      a2 = 1 - alpha;
      break;
    case BiquadType::all_pass:
      b0 = 1 - alpha;
      b1 = -2 * c;
      b2 = 1 + alpha;
      a0 = 1 + alpha;
      a1 = -2 * c;
      a2 = 1 - alpha;
      break;
    case BiquadType::peak:
      b0 = 1 + alpha * A;
      b1 = -2 * c;
      b2 = 1 - alpha * A;
      a0 = 1 + alpha / A;
      a1 = -2 * c;
      a2 = 1 - alpha / A;
      break;
    case BiquadType::low_shelf:
      b0 = A * ((A + 1) - (A - 1) * c + sa);
      b1 = 2 * A * ((A - 1) - (A + 1) * c);
      b2 = A * ((A + 1) - (A - 1) * c - sa);
      a0 = (A + 1) + (A - 1) * c + sa;
      a1 = -2 * ((A - 1) + (A + 1) * c);
      a2 = (A + 1) + (A - 1) * c - sa;
      break;
    default:
      b0 = A * ((A + 1) + (A - 1) * c + sa);
      b1 = -2 * A * ((A - 1) + (A + 1) * c);
      b2 = A * ((A + 1) + (A - 1) * c - sa);
      a0 = (A + 1) - (A - 1) * c + sa;
      a1 = 2 * ((A - 1) - (A + 1) * c);
      a2 = (A + 1) - (A - 1) * c - sa;
      break;
  }
  return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}
}  // namespace namk
