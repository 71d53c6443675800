// Adam over one flat parameter buffer, with PyTorch's conventions: bias-corrected moments, eps added
// to sqrt(v_hat), optional decoupled (AdamW) weight decay. Also the per-epoch exponential learning
// rate schedule and clipping by global gradient norm. The state is plain data so checkpoints can
// save and restore it exactly.
#pragma once

#include <cstdint>

#include "core/scalar.h"

namespace namk {

struct AdamConfig {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;  // decoupled, AdamW-style: p -= lr * weight_decay * p
};

struct AdamState {
  Vec m, v;           // first and second moments, one entry per parameter
  int64_t steps = 0;  // steps taken, for bias correction
};

class Adam {
 public:
  Adam(Index num_params, AdamConfig config = {});

  // params -= lr * m_hat / (sqrt(v_hat) + eps), after updating the moments with grads.
  void step(Scalar* params, const Scalar* grads, double lr);

  const AdamState& state() const { return state_; }
  void set_state(AdamState state);

 private:
  AdamConfig config_;
  AdamState state_;
};

// lr for a 0-based epoch: lr0 * decay^epoch (NAM: lr0 0.004, decay 0.993).
double exponential_lr(double lr0, double decay, int64_t epoch);

// Scales grads so their global L2 norm is at most max_norm; returns the norm before clipping.
// max_norm <= 0 disables clipping.
double clip_grad_norm(Scalar* grads, Index n, double max_norm);

}  // namespace namk
