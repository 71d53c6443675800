// See spectral_ops.h. Same shape as ops.cpp: the forward, then the backward lambda just below it.
#include "core/spectral_ops.h"

#include <string>

#include "base/error.h"
#include "core/kernels/stft.h"

namespace namk {

Var stft_magnitude(Tape& t, Var x, Index n_fft, Index hop, Index win_length) {
  const Index length = t.cols(x);
  auto fail = [&](const std::string& what) {
    throw UsageError("stft_magnitude: " + what + " (n_fft " + std::to_string(n_fft) + ", hop " +
                     std::to_string(hop) + ", win_length " + std::to_string(win_length) +
                     ", signal (" + std::to_string(t.rows(x)) + ", " + std::to_string(length) +
                     "))");
  };
  if (!(t.rows(x) == 1)) fail("expected a (1, T) signal");
  if (!(n_fft >= 2 && hop >= 1)) fail("n_fft must be >= 2 and hop >= 1");
  if (!(win_length >= 1 && win_length <= n_fft)) fail("win_length must be in [1, n_fft]");
  if (!(length > n_fft / 2))
    fail("reflect padding needs more than n_fft/2 = " + std::to_string(n_fft / 2) + " samples");

  const bool tracked = t.requires_grad(x);
  const Index bins = stft_bins(n_fft), frames = stft_frames(length, n_fft, hop);
  Var y = t.output(bins, frames, tracked);
  // The phase the backward needs: a plain node, no gradient of its own (re, im interleaved).
  Var spectrum = tracked ? t.output(2 * bins, frames, false) : Var{};
  stft_magnitude_forward(t.value(x), n_fft, hop, win_length,
                         tracked ? t.value(spectrum) : empty_mat(), t.value(y));
  if (!tracked) return y;
  t.record({[](Tape& t, const OpRecord& r) {
              stft_magnitude_backward(t.value(r.in[1]), t.value(r.out), t.grad(r.out), r.ints[0],
                                      r.ints[1], r.ints[2], t.grad(r.in[0]));
            },
            y, {x, spectrum}, {n_fft, hop, win_length}});
  return y;
}

}  // namespace namk
