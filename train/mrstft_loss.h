// auraloss's MultiResolutionSTFTLoss (the spectral loss NAM adds to MSE), composed from tape ops:
// per resolution, spectral convergence ||Y - Ŷ||_F / ||Y||_F plus the L1 distance of log magnitudes
// mean|log Y - log Ŷ|, weighted, then averaged over resolutions. Magnitudes are core/spectral_ops.h's
// (torch.stft framing, auraloss's clamp). The target is data: no gradient flows into it.
#pragma once

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

// prediction, target: (1, T) with T > n_fft/2 for every resolution  ->  1x1
Var mrstft_loss(Tape& t, Var prediction, Var target, const MrstftConfig& config = {});

}  // namespace namk
