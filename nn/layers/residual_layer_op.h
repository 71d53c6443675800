// The differentiable WaveNet residual layer: one tape op around core/kernels/residual_layer.h.
// Fused rather than built from conv1d/add/activation ops because a layer then stores 4 tensors
// (and their gradients) instead of about 10: at 16 channels x 12k samples each tensor is 768 KiB,
// and that memory traffic, not arithmetic, bounded the composed graph's training speed.
#pragma once

#include "core/kernels/residual_layer.h"
#include "core/tape.h"

namespace namk {

struct ResidualLayerParams {
  Var conv, conv_bias, mixer, out, out_bias;  // shapes as in ResidualLayerWeights
};

struct ResidualLayerResult {
  Var h;     // (C, T): the next layer's input
  Var head;  // (C, T): the skip sum including this layer
};

// h: (C, T + (K-1)*d). condition: (C_cond, >= T) and head: (C, >= T) are right-aligned (their
// last T columns are used); head = Var{} for the first layer of an array. Throws UsageError
// naming the argument whose shape does not fit.
ResidualLayerResult residual_layer(Tape& t, Var h, Var condition, Var head, const ResidualLayerParams& p,
                                   const ResidualLayerShape& shape);

}  // namespace namk
