// See mrstft_loss.h. Why the batch norms enter as numbers (scale, and a constant copy of the error)
// rather than tape divisions: they are sums over other items' tapes, which this tape cannot reach;
// the linear form <E, stop_gradient(E)> / (||E|| ||Y||) (frozen_error_energy, scaled) then carries
// the exact gradient E / (||E|| ||Y||) of the batch's ||E|| / ||Y||.
#include "train/mrstft_loss.h"

#include <cmath>
#include <string>

#include "base/error.h"
#include "core/esr.h"
#include "core/ops.h"
#include "core/spectral_ops.h"

namespace namk {

void MrstftBatch::add(const MrstftItem& item) { add(item.error_sq, item.target_sq); }

void MrstftBatch::add(std::span<const double> item_error_sq, std::span<const double> item_target_sq) {
  if (error_sq.empty()) {
    error_sq.assign(item_error_sq.size(), 0.0);
    target_sq.assign(item_target_sq.size(), 0.0);
  }
  if (item_error_sq.size() != error_sq.size() || item_target_sq.size() != target_sq.size())
    throw UsageError("MrstftBatch: items with different numbers of resolutions");
  for (size_t r = 0; r < error_sq.size(); ++r) {
    error_sq[r] += item_error_sq[r];
    target_sq[r] += item_target_sq[r];
  }
  ++items;
}

MrstftItem mrstft_begin(Tape& t, Var prediction, Var target, const MrstftConfig& config) {
  if (config.resolutions.empty()) throw UsageError("mrstft_loss: no STFT resolutions configured");
  if (!(t.rows(prediction) == t.rows(target) && t.cols(prediction) == t.cols(target)))
    throw UsageError("mrstft_loss: prediction (" + std::to_string(t.rows(prediction)) + ", " +
                     std::to_string(t.cols(prediction)) + ") and target (" +
                     std::to_string(t.rows(target)) + ", " + std::to_string(t.cols(target)) +
                     ") differ in shape");
  MrstftItem item;
  Var log_mag;
  for (const StftResolution& r : config.resolutions) {
    Var y = stft_magnitude(t, target, r.n_fft, r.hop, r.win_length);
    Var y_hat = stft_magnitude(t, prediction, r.n_fft, r.hop, r.win_length);
    item.y_hat.push_back(y_hat);
    item.y.push_back(y);
    item.error_sq.push_back(sum_of_squared_differences(t.value(y_hat), t.value(y)));
    item.target_sq.push_back(sum_of_squares(t.value(y)));
    Var term = log_magnitude_distance(t, y_hat, y);
    log_mag = log_mag.valid() ? add(t, log_mag, term) : term;
  }
  item.log_mag = scale(t, log_mag, config.log_mag_weight / static_cast<Scalar>(config.resolutions.size()));
  return item;
}

Var mrstft_finish(Tape& t, const MrstftItem& item, const MrstftBatch& batch, const MrstftConfig& config) {
  if (batch.error_sq.size() != item.y_hat.size())
    throw UsageError("mrstft_loss: the batch's norms do not match the item's resolutions");
  Var total = item.log_mag;
  const double weight = static_cast<double>(config.sc_weight) * static_cast<double>(batch.items) /
                        static_cast<double>(item.y_hat.size());
  for (size_t r = 0; r < item.y_hat.size(); ++r) {
    // ||Y_r|| > 0 always: every magnitude is at least sqrt(kStftPowerFloor).
    if (!(batch.error_sq[r] > 0)) continue;
    const double denominator = std::sqrt(batch.error_sq[r]) * std::sqrt(batch.target_sq[r]);
    Var sc = scale(t, frozen_error_energy(t, item.y_hat[r], item.y[r]), static_cast<Scalar>(weight / denominator));
    total = add(t, total, sc);
  }
  return total;
}

Var mrstft_loss(Tape& t, Var prediction, Var target, const MrstftConfig& config) {
  const MrstftItem item = mrstft_begin(t, prediction, target, config);
  MrstftBatch batch;
  batch.add(item);
  return mrstft_finish(t, item, batch, config);
}

}  // namespace namk
