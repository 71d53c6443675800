// auraloss's MultiResolutionSTFTLoss (the spectral loss NAM adds to MSE), composed from tape ops.
// Per resolution r: spectral convergence SC_r = ||Y - Ŷ||_F / ||Y||_F plus the L1 distance of log
// magnitudes mean|log Y - log Ŷ|, weighted, then averaged over resolutions. Magnitudes are
// core/spectral_ops.h's (torch.stft framing, auraloss's clamp). The target is data: no gradient
// flows into it.
//
// The batch: NAM hands auraloss the whole batch as one (B, 1, L) tensor, and auraloss takes each
// Frobenius norm over all B spectrograms at once, so SC_r is ONE ratio per batch,
// sqrt(sum_b ||E_b||²) / sqrt(sum_b ||Y_b||²), not the mean of B per-item ratios. (The L1 mean over
// the batch does equal the mean of per-item means: every item has the same shape.) The difference
// matters: a per-item ratio gives a quiet item the gradient weight 1/||Y_b|| and lets the few
// quietest windows of a batch steer training. The trainer keeps one tape per item, so the loss is
// built in two phases: mrstft_begin per item (magnitudes, the L1 term, the item's squared norms),
// then, once the batch's norms are summed, mrstft_finish per item, whose node has exactly the
// gradient of B x the batch loss with respect to that item's prediction and whose values sum over
// the batch to B x the batch loss.
#pragma once

#include <span>
#include <vector>

#include "core/tape.h"

namespace namk {

struct StftResolution {
  Index n_fft = 1024;
  Index hop = 120;
  Index win_length = 600;
};

// auraloss's defaults: FFT sizes 1024/2048/512, hops 120/240/50, Hann windows 600/1200/240.
struct MrstftConfig {
  std::vector<StftResolution> resolutions = {{1024, 120, 600}, {2048, 240, 1200}, {512, 50, 240}};
  Scalar sc_weight = 1;       // spectral convergence
  Scalar log_mag_weight = 1;  // log-magnitude L1
};

// One item's part of the batch loss, between the two phases.
struct MrstftItem {
  Var log_mag;                       // 1x1: the weighted L1 terms averaged over resolutions
  std::vector<Var> y_hat, y;         // per resolution: the magnitudes Ŷ and Y, (bins, frames)
  std::vector<double> error_sq;      // per resolution: ||Ŷ - Y||_F²
  std::vector<double> target_sq;     // per resolution: ||Y||_F²
};

// The batch's squared Frobenius norms per resolution, summed over items in the order they are
// added (the caller adds them in item order, so a batch always sums the same way).
struct MrstftBatch {
  std::vector<double> error_sq, target_sq;
  Index items = 0;
  void add(const MrstftItem& item);
  // The same from an item's norms alone (gathered from another rank: train/distributed.h).
  void add(std::span<const double> item_error_sq, std::span<const double> item_target_sq);
};

// prediction, target: (1, T) with T > n_fft/2 for every resolution.
MrstftItem mrstft_begin(Tape& t, Var prediction, Var target, const MrstftConfig& config = {});
// -> 1x1: log_mag + sc_weight/R x sum_r <Ŷ-Y, stop_gradient(Ŷ-Y)> B / (||E_r|| ||Y_r||), where
// ||E_r||, ||Y_r|| are the batch's norms: linear in the item's error, so its gradient is the batch
// SC's gradient (times B) and its value the item's share of B x SC_r. A batch whose error is 0
// passes no SC gradient (PyTorch's convention for the norm at 0).
Var mrstft_finish(Tape& t, const MrstftItem& item, const MrstftBatch& batch,
                  const MrstftConfig& config = {});

// The loss of a batch of one: prediction, target (1, T) -> 1x1.
Var mrstft_loss(Tape& t, Var prediction, Var target, const MrstftConfig& config = {});

}  // namespace namk
