// See stft.h. Power-of-two n_fft (every resolution NAM trains with) goes through fft.h's batched
// real FFT, rfft_lanes() frames per call so the windowed frames stay in cache; other sizes through
// Eigen's FFT (kissfft), one frame at a time. Why a workspace per thread: Eigen's FFT object caches
// its plans and scratch buffers in mutable members, so sharing one between the trainer's OpenMP
// threads would race, and making one per call would rebuild the twiddles every step. thread_local
// gives each thread its own, built once (fft.cpp keeps its own twiddles the same way).
#include "core/kernels/stft.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <numbers>
#include <vector>

#include <unsupported/Eigen/FFT>

#include "core/kernels/fft.h"
#include "core/kernels/tuned.h"

namespace namk {

namespace {

using Complex = std::complex<Scalar>;

struct StftWorkspace {
  Eigen::FFT<Scalar> fft;
  std::vector<Scalar> frame;   // n_fft: the windowed frame, or the inverse transform's output
  std::vector<Complex> bins;   // n_bins: the backward's half spectrum
  std::map<Index, std::vector<Scalar>> windows;  // by win_length: the loss uses a few, every step
  const std::vector<Scalar>* window = nullptr;
  Mat frames;                  // (n_fft, rfft_lanes()): the batched path's frames
  Mat spectrum;                // (2*n_bins, rfft_lanes()): its spectra when none is saved

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
  std::vector<Scalar>& window = ws.windows[win_length];
  if (window.empty()) hann_window(win_length, window);
  ws.window = &window;
  if (rfft_size_supported(n_fft)) {
    ws.frames.resize(n_fft, rfft_lanes());
    ws.spectrum.resize(2 * stft_bins(n_fft), rfft_lanes());
  }
  return ws;
}

// Where frame f's first windowed sample sits in x's own time (negative inside the left padding).
inline Index window_start(Index frame, Index n_fft, Index hop, Index win_length) {
  return frame * hop + (n_fft - win_length) / 2 - n_fft / 2;
}

// Complex view of a spectrum column: std::complex<T> is layout-compatible with T[2].
inline const Complex* as_complex(const Scalar* p) { return reinterpret_cast<const Complex*>(p); }
inline Complex* as_complex(Scalar* p) { return reinterpret_cast<Complex*>(p); }

// windowed: win_length samples, w · x over frame f (reflect-padded at the ends).
void window_frame(ConstMatRef x, const std::vector<Scalar>& window, Index start, Scalar* windowed) {
  const Index length = x.cols(), win_length = static_cast<Index>(window.size());
  if (start >= 0 && start + win_length <= length) {
    for (Index n = 0; n < win_length; ++n) windowed[n] = window[n] * x(0, start + n);
  } else {
    for (Index n = 0; n < win_length; ++n) windowed[n] = window[n] * x(0, stft_reflect(start + n, length));
  }
}

// The adjoint of window_frame: dx += w · dwindowed, a padded sample's gradient folded back onto
// the sample it mirrors.
void window_frame_backward(const Scalar* dwindowed, const std::vector<Scalar>& window, Index start,
                           MatRef dx) {
  const Index length = dx.cols(), win_length = static_cast<Index>(window.size());
  if (start >= 0 && start + win_length <= length) {
    for (Index n = 0; n < win_length; ++n) dx(0, start + n) += window[n] * dwindowed[n];
  } else {
    for (Index n = 0; n < win_length; ++n) dx(0, stft_reflect(start + n, length)) += window[n] * dwindowed[n];
  }
}

// sqrt(max(re² + im², floor)) of a column's interleaved bins. Two loops so both vectorize: the
// floor makes the square root's argument positive, but only Eigen's sqrt knows it need not set errno.
void magnitudes(const Scalar* spectrum, Index bins, Scalar* magnitude) {
  const Scalar floor = static_cast<Scalar>(kStftPowerFloor);
  for (Index k = 0; k < bins; ++k) {
    const Scalar re = spectrum[2 * k], im = spectrum[2 * k + 1];
    magnitude[k] = std::max(re * re + im * im, floor);
  }
  Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>> m(magnitude, bins);
  m = m.sqrt();
}

// The backward's one-sided spectrum: (dM/M)·X, zero where the clamp held; bins 1..N/2-1 at half
// weight because an inverse real FFT sums them twice (their mirror images), DC and Nyquist real.
void magnitude_backward_bins(const Scalar* spectrum, const Scalar* magnitude,
                             const Scalar* dmagnitude, Index n_fft, Scalar* out) {
  const Scalar floor = static_cast<Scalar>(kStftPowerFloor);
  auto gain = [&](Index k, Scalar weight) {
    const Scalar re = spectrum[2 * k], im = spectrum[2 * k + 1];
    return re * re + im * im < floor ? Scalar(0) : dmagnitude[k] / magnitude[k] * weight;
  };
  const Index last = stft_bins(n_fft) - 1;  // Nyquist for even n_fft, an ordinary bin for odd
  for (Index k = 1; k < last; ++k) {
    const Scalar g = gain(k, Scalar(0.5));
    out[2 * k] = g * spectrum[2 * k];
    out[2 * k + 1] = g * spectrum[2 * k + 1];
  }
  out[0] = gain(0, 1) * spectrum[0];
  out[1] = 0;
  if (last > 0) {
    const bool nyquist = 2 * last == n_fft;
    const Scalar g = gain(last, nyquist ? Scalar(1) : Scalar(0.5));
    out[2 * last] = g * spectrum[2 * last];
    out[2 * last + 1] = nyquist ? Scalar(0) : g * spectrum[2 * last + 1];
  }
}

}  // namespace

void stft_magnitude_forward(ConstMatRef x, Index n_fft, Index hop, Index win_length,
                            MatRef spectrum, MatRef magnitude) {
  if constexpr (!kTunedKernels)
    return stft_magnitude_forward_naive(x, n_fft, hop, win_length, spectrum, magnitude);
  StftWorkspace& ws = workspace(n_fft, win_length);
  const Index bins = stft_bins(n_fft), offset = (n_fft - win_length) / 2;
  if (rfft_size_supported(n_fft)) {
    // Outside the window the frames stay zero.
    ws.frames.topRows(offset).setZero();
    ws.frames.bottomRows(n_fft - offset - win_length).setZero();
    const Index lanes = rfft_lanes();
    for (Index f0 = 0; f0 < magnitude.cols(); f0 += lanes) {
      const Index count = std::min(lanes, magnitude.cols() - f0);
      for (Index l = 0; l < count; ++l)
        window_frame(x, *ws.window, window_start(f0 + l, n_fft, hop, win_length),
                     ws.frames.col(l).data() + offset);
      // Transform straight into the saved spectrum when there is one.
      MatRef out = spectrum.size() > 0 ? MatRef(spectrum.middleCols(f0, count))
                                        : MatRef(ws.spectrum.leftCols(count));
      rfft_forward(ws.frames.leftCols(count), out);
      for (Index l = 0; l < count; ++l) magnitudes(out.col(l).data(), bins, magnitude.col(f0 + l).data());
    }
    return;
  }
  std::fill(ws.frame.begin(), ws.frame.end(), Scalar(0));  // outside the window stays zero
  Complex* out = ws.bins.data();
  for (Index f = 0; f < magnitude.cols(); ++f) {
    window_frame(x, *ws.window, window_start(f, n_fft, hop, win_length), ws.frame.data() + offset);
    if (spectrum.size() > 0) out = as_complex(spectrum.col(f).data());
    ws.fft.fwd(out, ws.frame.data(), n_fft);
    magnitudes(reinterpret_cast<const Scalar*>(out), bins, magnitude.col(f).data());
  }
}

void stft_magnitude_backward(ConstMatRef spectrum, ConstMatRef magnitude, ConstMatRef dmagnitude,
                             Index n_fft, Index hop, Index win_length, MatRef dx) {
  if constexpr (!kTunedKernels)
    return stft_magnitude_backward_naive(spectrum, magnitude, dmagnitude, n_fft, hop, win_length, dx);
  // dM/dframe[n] = Re(sum_k (dM_k X_k / M_k) e^{+2πikn/N}) over the one-sided bins k: an inverse
  // real FFT of magnitude_backward_bins, then the window's adjoint.
  StftWorkspace& ws = workspace(n_fft, win_length);
  const Index offset = (n_fft - win_length) / 2;
  if (rfft_size_supported(n_fft)) {
    const Index lanes = rfft_lanes();
    for (Index f0 = 0; f0 < magnitude.cols(); f0 += lanes) {
      const Index count = std::min(lanes, magnitude.cols() - f0);
      for (Index l = 0; l < count; ++l)
        magnitude_backward_bins(spectrum.col(f0 + l).data(), magnitude.col(f0 + l).data(),
                                dmagnitude.col(f0 + l).data(), n_fft, ws.spectrum.col(l).data());
      rfft_inverse(ws.spectrum.leftCols(count), ws.frames.leftCols(count));
      for (Index l = 0; l < count; ++l)
        window_frame_backward(ws.frames.col(l).data() + offset, *ws.window,
                              window_start(f0 + l, n_fft, hop, win_length), dx);
    }
    return;
  }
  Scalar* bins = reinterpret_cast<Scalar*>(ws.bins.data());
  for (Index f = 0; f < magnitude.cols(); ++f) {
    magnitude_backward_bins(spectrum.col(f).data(), magnitude.col(f).data(), dmagnitude.col(f).data(),
                            n_fft, bins);
    ws.fft.inv(ws.frame.data(), ws.bins.data(), n_fft);
    window_frame_backward(ws.frame.data() + offset, *ws.window,
                          window_start(f, n_fft, hop, win_length), dx);
  }
}

}  // namespace namk
