// See stft.h. Why a workspace per thread: Eigen's FFT object caches its plans and scratch buffers
// in mutable members, so sharing one between the trainer's OpenMP threads would race, and making
// one per call would rebuild the twiddles every step. thread_local gives each thread its own, built
// once; the three loss resolutions then reuse their plans for the whole run.
#include "core/kernels/stft.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include <unsupported/Eigen/FFT>

namespace namk {

namespace {

using Complex = std::complex<Scalar>;

struct StftWorkspace {
  Eigen::FFT<Scalar> fft;
  std::vector<Scalar> frame;   // n_fft: the windowed frame, or the inverse transform's output
  std::vector<Complex> bins;   // n_bins: the backward's half spectrum
  std::vector<Scalar> window;  // win_length

  StftWorkspace() {
    // Only the one-sided bins exist in our layout, and the backward wants the plain adjoint sum.
    fft.SetFlag(Eigen::FFT<Scalar>::HalfSpectrum);
    fft.SetFlag(Eigen::FFT<Scalar>::Unscaled);
  }
};

// torch.hann_window(L) (periodic), computed in double so float and double builds share one window.
void hann_window(Index length, std::vector<Scalar>& w) {
  w.resize(static_cast<size_t>(length));
  for (Index n = 0; n < length; ++n)
    w[n] = length == 1 ? Scalar(1)
                       : static_cast<Scalar>(0.5 - 0.5 * std::cos(2 * std::numbers::pi * n / length));
}

StftWorkspace& workspace(Index n_fft, Index win_length) {
  thread_local StftWorkspace ws;
  ws.frame.resize(static_cast<size_t>(n_fft));
  ws.bins.resize(static_cast<size_t>(stft_bins(n_fft)));
  hann_window(win_length, ws.window);
  return ws;
}

// torch's reflect padding: mirror at the edge sample without repeating it (x[-1] reads x[1]).
inline Index reflect(Index i, Index length) {
  return i < 0 ? -i : (i >= length ? 2 * (length - 1) - i : i);
}

// Where frame f's first windowed sample sits in x's own time (negative inside the left padding).
inline Index window_start(Index frame, Index n_fft, Index hop, Index win_length) {
  return frame * hop + (n_fft - win_length) / 2 - n_fft / 2;
}

// Complex view of a spectrum column: std::complex<T> is layout-compatible with T[2].
inline const Complex* as_complex(const Scalar* p) { return reinterpret_cast<const Complex*>(p); }
inline Complex* as_complex(Scalar* p) { return reinterpret_cast<Complex*>(p); }

}  // namespace

void stft_magnitude_forward(ConstMatRef x, Index n_fft, Index hop, Index win_length,
                            MatRef spectrum, MatRef magnitude) {
  StftWorkspace& ws = workspace(n_fft, win_length);
  const Index length = x.cols(), bins = stft_bins(n_fft), offset = (n_fft - win_length) / 2;
  const Scalar floor = static_cast<Scalar>(kStftPowerFloor);
  std::fill(ws.frame.begin(), ws.frame.end(), Scalar(0));  // outside the window stays zero
  Scalar* windowed = ws.frame.data() + offset;
  Complex* out = ws.bins.data();
  for (Index f = 0; f < magnitude.cols(); ++f) {
    const Index start = window_start(f, n_fft, hop, win_length);
    if (start >= 0 && start + win_length <= length) {
      for (Index n = 0; n < win_length; ++n) windowed[n] = ws.window[n] * x(0, start + n);
    } else {
      for (Index n = 0; n < win_length; ++n)
        windowed[n] = ws.window[n] * x(0, reflect(start + n, length));
    }
    // Transform straight into the saved spectrum when there is one.
    if (spectrum.size() > 0) out = as_complex(spectrum.col(f).data());
    ws.fft.fwd(out, ws.frame.data(), n_fft);
    for (Index k = 0; k < bins; ++k)
      magnitude(k, f) = std::sqrt(std::max(std::norm(out[k]), floor));
  }
}

void stft_magnitude_backward(ConstMatRef spectrum, ConstMatRef magnitude, ConstMatRef dmagnitude,
                             Index n_fft, Index hop, Index win_length, MatRef dx) {
  StftWorkspace& ws = workspace(n_fft, win_length);
  const Index length = dx.cols(), bins = stft_bins(n_fft), offset = (n_fft - win_length) / 2;
  const Scalar floor = static_cast<Scalar>(kStftPowerFloor);
  for (Index f = 0; f < magnitude.cols(); ++f) {
    // dM/dframe[n] = Re(sum_k (dM_k X_k / M_k) e^{+2πikn/N}) over the one-sided bins k. The
    // unscaled inverse real FFT sums bins 1..N/2-1 twice (their mirror images), so those get half
    // weight; DC and Nyquist appear once and are real.
    const Complex* spec = as_complex(spectrum.col(f).data());
    for (Index k = 0; k < bins; ++k) {
      const bool clamped = std::norm(spec[k]) < floor;
      const Complex c = clamped ? Complex(0) : spec[k] * (dmagnitude(k, f) / magnitude(k, f));
      ws.bins[k] = (k == 0 || 2 * k == n_fft) ? Complex(c.real(), 0) : c * Scalar(0.5);
    }
    ws.fft.inv(ws.frame.data(), ws.bins.data(), n_fft);
    const Scalar* dwindowed = ws.frame.data() + offset;
    const Index start = window_start(f, n_fft, hop, win_length);
    if (start >= 0 && start + win_length <= length) {
      for (Index n = 0; n < win_length; ++n) dx(0, start + n) += ws.window[n] * dwindowed[n];
    } else {
      // A padded sample is a copy of the sample it mirrors: its gradient folds back onto it.
      for (Index n = 0; n < win_length; ++n)
        dx(0, reflect(start + n, length)) += ws.window[n] * dwindowed[n];
    }
  }
}

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
        const double a = hann_naive(n, win_length) * x(0, reflect(padded - n_fft / 2, length));
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
        dx(0, reflect(padded - n_fft / 2, length)) += static_cast<Scalar>(
            g * hann_naive(n, win_length) * (re * std::cos(theta) - im * std::sin(theta)));
      }
    }
}

}  // namespace namk
