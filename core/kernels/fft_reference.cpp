// The reference real DFT: fft.h's definition summed directly, in double, O(n²) per frame. The
// oracle of the batched FFT in fft.cpp, and the whole transform when NAMK_TUNED_KERNELS is OFF.
// Any n >= 1 works here (the fast kernels take powers of two only).
#include <cmath>
#include <numbers>
#include <vector>

#include "core/kernels/fft.h"

namespace namk {

namespace {
// e^{-2πij/n} for j < n in double; the oracles index it by k·t mod n, which keeps them accurate
// for any size and cheap enough to check n = 4096.
struct DftTable {
  std::vector<double> cos, sin;
  explicit DftTable(Index n) : cos(static_cast<size_t>(n)), sin(static_cast<size_t>(n)) {
    for (Index j = 0; j < n; ++j) {
      cos[j] = std::cos(2 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(n));
      sin[j] = std::sin(2 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(n));
    }
  }
};
}  // namespace

void rfft_forward_naive(ConstMatRef frames, MatRef spectrum) {
  const Index n = frames.rows();
  const DftTable table(n);
  for (Index f = 0; f < frames.cols(); ++f)
    for (Index k = 0; k <= n / 2; ++k) {
      double re = 0, im = 0;
      for (Index t = 0; t < n; ++t) {
        re += frames(t, f) * table.cos[(k * t) % n];
        im -= frames(t, f) * table.sin[(k * t) % n];
      }
      spectrum(2 * k, f) = static_cast<Scalar>(re);
      spectrum(2 * k + 1, f) = static_cast<Scalar>(im);
    }
}

void rfft_inverse_naive(ConstMatRef spectrum, MatRef frames) {
  const Index n = frames.rows();
  const DftTable table(n);
  for (Index f = 0; f < frames.cols(); ++f)
    for (Index t = 0; t < n; ++t) {
      // Bins 1..n/2-1 appear twice (k and n-k, conjugates): 2 Re(X[k] e^{iθ}); 0 and n/2 once.
      double x = 0;
      for (Index k = 0; k <= n / 2; ++k) {
        // e^{+iθ} = cos θ + i sin θ, θ = 2πkt/n.
        const double c = table.cos[(k * t) % n], s = table.sin[(k * t) % n];
        const double re = spectrum(2 * k, f), im = spectrum(2 * k + 1, f);
        if (k == 0 || 2 * k == n)
          x += re * c;
        else
          x += 2 * (re * c - im * s);
      }
      frames(t, f) = static_cast<Scalar>(x);
    }
}

}  // namespace namk
