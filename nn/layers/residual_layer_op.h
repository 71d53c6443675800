// The differentiable WaveNet residual layer: one tape op around core/kernels/residual_layer.h.
// Fused rather than built from conv1d/add/activation ops because a layer then stores 2 to 4
// tensors (and shares its outputs' gradients with its inputs') instead of about 10: at 16 channels
// x 12k samples each tensor is 768 KiB, and that memory traffic, not arithmetic, bounds training
// speed. It keeps h' and a; z only when the activation's derivative needs its input (not for tanh
// or sigmoid); post when gated; head' only when the caller keeps head (see HeadUse).
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

// What the op may do with head's memory. Keep: head' is a fresh tensor. Consume: the caller reads
// head's value no more (inside a layer array each layer's skip sum is read only by the next layer),
// so head' = head + a is accumulated into head's last T columns in place: an array's skip sums
// then share one tensor, which stays in cache from layer to layer, instead of writing a new one per
// layer. The backward is the same either way (it reads no head values).
enum class HeadUse { Keep, Consume };

// The backward's tile of output columns. dL/da and dL/dz of a tile (32 KiB each at 16 channels)
// stay in cache from the moment they are computed until every gradient that needs them has been
// accumulated. Each tile calls about ten kernels, each with its own setup (weights laid out, edges,
// a 16x48 weight gradient added in): tiles of 512 columns made one training step of the standard
// preset 7% faster than tiles of 128 did, lite's 10%, feather's 9%, nano's 6% (Zen 5; 1,024 no
// better than 512). A weight's gradient is summed tile by tile, so the tile sets its rounding.
constexpr Index kResidualBackwardTile = 512;

// h: (C, T + (K-1)*d). condition: (C_cond, >= T) and head: (C, >= T) are right-aligned (their
// last T columns are used); head = Var{} for the first layer of an array. Throws UsageError
// naming the argument whose shape does not fit.
ResidualLayerResult residual_layer(Tape& t, Var h, Var condition, Var head, const ResidualLayerParams& p,
                                   const ResidualLayerShape& shape, HeadUse head_use = HeadUse::Keep);

}  // namespace namk
