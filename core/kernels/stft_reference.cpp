// The reference STFT magnitudes: stft.h's framing and a direct DFT of every windowed frame, in
// double, O(bins · win_length) per frame. The oracle of stft.cpp's FFT path, and the whole STFT
// when NAMK_TUNED_KERNELS is OFF.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/kernels/stft.h"

namespace namk {

namespace {
// Phase 2πkn/N with k·n reduced mod N first, so the oracle stays accurate for any size.
double dft_angle(Index k, Index n, Index n_fft) {
  return 2 * std::numbers::pi * static_cast<double>((k * n) % n_fft) / static_cast<double>(n_fft);
}
double hann_naive(Index n, Index length) {
  return length == 1 ? 1.0 : 0.5 * (1 - std::cos(2 * std::numbers::pi * n / length));
}
}  // namespace

void stft_magnitude_forward_naive(ConstMatRef x, Index n_fft, Index hop, Index win_length,
                                  MatRef spectrum, MatRef magnitude) {
  const Index length = x.cols(), offset = (n_fft - win_length) / 2;
  for (Index f = 0; f < magnitude.cols(); ++f)
    for (Index k = 0; k < magnitude.rows(); ++k) {
      double re = 0, im = 0;
      for (Index n = 0; n < win_length; ++n) {
        const Index padded = f * hop + offset + n;  // index into the reflect-padded signal
        const double a = hann_naive(n, win_length) * x(0, stft_reflect(padded - n_fft / 2, length));
        re += a * std::cos(dft_angle(k, offset + n, n_fft));
        im -= a * std::sin(dft_angle(k, offset + n, n_fft));
      }
      if (spectrum.size() > 0) {
        spectrum(2 * k, f) = static_cast<Scalar>(re);
        spectrum(2 * k + 1, f) = static_cast<Scalar>(im);
      }
      magnitude(k, f) = static_cast<Scalar>(std::sqrt(std::max(re * re + im * im, kStftPowerFloor)));
    }
}

void stft_magnitude_backward_naive(ConstMatRef spectrum, ConstMatRef magnitude,
                                   ConstMatRef dmagnitude, Index n_fft, Index hop,
                                   Index win_length, MatRef dx) {
  const Index length = dx.cols(), offset = (n_fft - win_length) / 2;
  for (Index f = 0; f < magnitude.cols(); ++f)
    for (Index k = 0; k < magnitude.rows(); ++k) {
      const double re = spectrum(2 * k, f), im = spectrum(2 * k + 1, f);
      if (re * re + im * im < kStftPowerFloor) continue;
      // d|X|/da_n = (re cos θ - im sin θ) / |X| for X = sum_n a_n e^{-iθ}, a_n = w_n x_padded.
      const double g = dmagnitude(k, f) / static_cast<double>(magnitude(k, f));
      for (Index n = 0; n < win_length; ++n) {
        const double theta = dft_angle(k, offset + n, n_fft);
        const Index padded = f * hop + offset + n;
        dx(0, stft_reflect(padded - n_fft / 2, length)) += static_cast<Scalar>(
            g * hann_naive(n, win_length) * (re * std::cos(theta) - im * std::sin(theta)));
      }
    }
}

}  // namespace namk
