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

namespace {

void require_same_shape(const Tape& t, Var y_hat, Var y, const char* op) {
  if (!(t.rows(y_hat) == t.rows(y) && t.cols(y_hat) == t.cols(y)))
    throw UsageError(std::string(op) + ": y_hat (" + std::to_string(t.rows(y_hat)) + ", " +
                     std::to_string(t.cols(y_hat)) + ") and y (" + std::to_string(t.rows(y)) + ", " +
                     std::to_string(t.cols(y)) + ") differ in shape");
}

}  // namespace

Var log_magnitude_distance(Tape& t, Var y_hat, Var y) {
  require_same_shape(t, y_hat, y, "log_magnitude_distance");
  const bool tracked = t.requires_grad(y_hat) || t.requires_grad(y);
  Var out = t.output(1, 1, tracked);
  const auto n = static_cast<Scalar>(t.value(y).size());
  t.value(out)(0, 0) = (t.value(y).array() / t.value(y_hat).array()).log().abs().sum() / n;
  if (!tracked) return out;
  t.record({[](Tape& t, const OpRecord& r) {
              const Scalar g = t.grad(r.out)(0, 0) / static_cast<Scalar>(t.value(r.in[0]).size());
              // d|log a - log b| / da = sign(a - b) / a: plain loops with selects, which GCC vectorizes
              // (Eigen 3.4's sign() is scalar code).
              auto add = [&](Var into, Var other) {
                if (!t.requires_grad(into)) return;
                const Scalar* a = t.value(into).data();
                const Scalar* b = t.value(other).data();
                Scalar* da = t.grad(into).data();
                const Index size = t.value(into).size();
                for (Index i = 0; i < size; ++i) {
                  const Scalar sign = (a[i] > b[i] ? Scalar(1) : Scalar(0)) - (a[i] < b[i] ? Scalar(1) : Scalar(0));
                  da[i] += g * sign / a[i];
                }
              };
              add(r.in[0], r.in[1]);
              add(r.in[1], r.in[0]);
            },
            out, {y_hat, y}});
  return out;
}

Var frozen_error_energy(Tape& t, Var y_hat, Var y) {
  require_same_shape(t, y_hat, y, "frozen_error_energy");
  const bool tracked = t.requires_grad(y_hat) || t.requires_grad(y);
  Var out = t.output(1, 1, tracked);
  t.value(out)(0, 0) = (t.value(y_hat) - t.value(y)).squaredNorm();
  if (!tracked) return out;
  t.record({[](Tape& t, const OpRecord& r) {
              const Scalar g = t.grad(r.out)(0, 0);
              const auto error = t.value(r.in[0]).array() - t.value(r.in[1]).array();
              if (t.requires_grad(r.in[0])) t.grad(r.in[0]).array() += g * error;
              if (t.requires_grad(r.in[1])) t.grad(r.in[1]).array() -= g * error;
            },
            out, {y_hat, y}});
  return out;
}

}  // namespace namk
