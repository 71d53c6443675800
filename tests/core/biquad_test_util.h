// The biquad tests' measuring stick, shared by the kernel's tests and the tone stack's: a filter's
// exact magnitude response at one frequency, from its coefficients (no signal, no windowing).
#pragma once

#include <cmath>
#include <complex>
#include <numbers>

#include "core/kernels/biquad.h"

namespace namk::test {

// |H(e^{jw})| in dB at hz for a filter running at rate.
inline double magnitude_db(const Biquad& f, double hz, double rate) {
  const std::complex<double> z1 = std::polar(1.0, -2 * std::numbers::pi * hz / rate), z2 = z1 * z1;
  return 20 * std::log10(std::abs((f.b0 + f.b1 * z1 + f.b2 * z2) / (1.0 + f.a1 * z1 + f.a2 * z2)));
}

}  // namespace namk::test
