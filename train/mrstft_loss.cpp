// See mrstft_loss.h. Why ||Y||_F enters as a number (scale) rather than a tape division: it is a
// constant of the data, like ESR's denominator in losses.cpp, and that keeps the op set small.
#include "train/mrstft_loss.h"

#include <string>

#include "core/error.h"
#include "core/ops.h"
#include "core/spectral_ops.h"

namespace namk {

Var mrstft_loss(Tape& t, Var prediction, Var target, const MrstftConfig& config) {
  if (config.resolutions.empty()) throw UsageError("mrstft_loss: no STFT resolutions configured");
  if (!(t.rows(prediction) == t.rows(target) && t.cols(prediction) == t.cols(target)))
    throw UsageError("mrstft_loss: prediction (" + std::to_string(t.rows(prediction)) + ", " +
                     std::to_string(t.cols(prediction)) + ") and target (" +
                     std::to_string(t.rows(target)) + ", " + std::to_string(t.cols(target)) +
                     ") differ in shape");
  Var total;
  for (const StftResolution& r : config.resolutions) {
    Var y = stft_magnitude(t, target, r.n_fft, r.hop, r.win_length);
    Var y_hat = stft_magnitude(t, prediction, r.n_fft, r.hop, r.win_length);
    // ||Y||_F > 0 always: every magnitude is at least sqrt(kStftPowerFloor).
    const Scalar inverse_target_norm = Scalar(1) / t.value(y).norm();
    Var sc = scale(t, norm(t, sub(t, y, y_hat)), config.sc_weight * inverse_target_norm);
    Var log_mag = scale(t, mean(t, abs(t, sub(t, log(t, y), log(t, y_hat)))), config.log_mag_weight);
    Var term = add(t, sc, log_mag);
    total = total.valid() ? add(t, total, term) : term;
  }
  return scale(t, total, Scalar(1) / static_cast<Scalar>(config.resolutions.size()));
}

}  // namespace namk
