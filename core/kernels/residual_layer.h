// One WaveNet residual layer (NAM's _Layer), fused: the training graph's op and the streaming
// engine both call residual_layer_forward, so they compute the same bits at any block size.
//   z      = conv_bias + conv(h, dilation) + mixer * condition         (Cz, T)
//   a      = f(z), or f(z_top) ⊙ sigmoid(z_bottom) when gated (Cz = 2C) (C, T)
//   head'  = head + a                                                  (the skip sum)
//   h'     = h_last + out * a + out_bias                               (the residual)
// FiLM is not a step here: while knobs are still, gamma and beta fold into conv, conv_bias and
// mixer (rows scaled by gamma, beta added to the bias), which costs nothing per sample.
// Work goes in tiles of columns: each tile's z and a are still in L1 when the 1x1 reads them.
#pragma once

#include "core/kernels/pointwise.h"

namespace namk {

// M: ConstMatRef, or ConstMatView for streaming's residual_layer_stream.
template <typename M>
struct ResidualLayerWeightsOf {
  M conv;       // (Cz, K*C), see conv1d.h
  M conv_bias;  // (Cz, 1)
  M mixer;      // (Cz, C_cond)
  M out;        // (C, C)
  M out_bias;   // (C, 1)
  // Streaming's conv1d_pack of (conv, conv_bias, mixer) and of (out, out_bias), or null.
  const Scalar* conv_packed = nullptr;
  const Scalar* out_packed = nullptr;
};
using ResidualLayerWeights = ResidualLayerWeightsOf<ConstMatRef>;
using ResidualLayerWeightViews = ResidualLayerWeightsOf<ConstMatView>;

struct ResidualLayerShape {
  Index dilation = 1;
  Activation activation = Activation::Tanh;
  bool gated = false;
};

// The tiled path's tile: longer spans are split into equal tiles whose edges fall on 16-column
// groups, so a tile has at most kResidualLayerTile + 15 columns. At 512 columns (32 KiB per (C,
// tile) matrix at 16 channels) z, a and the head sum pass from one pass to the next through L2
// rather than L1, which the passes' kernels, bound by their arithmetic, do not notice, while each
// tile pays every pass's fixed cost once. Measured on a Zen 5 (one training item's forward,
// standard): 128-column tiles 4% slower than 512; streaming at blocks 256 and 2048 the same either
// way. (Tiles of 64 had been 5-10% slower than 128.) Streaming blocks of up to 512 samples are one
// tile. Tiling changes no bits.
constexpr Index kResidualLayerTile = 512;
constexpr Index kResidualLayerMaxTile = kResidualLayerTile + 15;

// h: (C, T + (K-1)*d). condition: (C_cond, T). z: (Cz, T), written (the backward's input), or
// scratch of (Cz, min(T, kResidualLayerMaxTile)) when the caller does not keep z: each tile's z
// then goes there while it is in use. post: (Cz, T), written when gated (f(z_top);
// sigmoid(z_bottom)), else empty. a: (C, T), written. head_in: (C, T) or empty (the first layer:
// zero); head_out: (C, T), may alias head_in (the skip sum in place). h_next: (C, T), must not
// alias h.
void residual_layer_forward(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
                            const ConstMatRef& condition, MatRef z, MatRef post, MatRef a,
                            const ConstMatRef& head_in, MatRef head_out, MatRef h_next);
// Streaming's entry (ResidualLayer::process): the same layer over views (mat_view.h), so a block
// builds and tears down no Eigen Ref on its way to the kernels. The same tiles and kernels as
// residual_layer_forward (one source, written for both argument types): the same bits.
void residual_layer_stream(const ResidualLayerWeightViews& w, const ResidualLayerShape& s, const ConstMatView& h,
                           const ConstMatView& condition, const MatView& z, const MatView& post, const MatView& a,
                           const ConstMatView& head_in, const MatView& head_out, const MatView& h_next);
// The same in tiles of columns, three passes per tile over conv1d's kernels: the general path, and
// the reference of the per-column kernel residual_layer_forward takes for up to 4 channels
// (residual_layer_tiny.h), which matches it bit for bit.
void residual_layer_forward_tiled(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
                                  const ConstMatRef& condition, MatRef z, MatRef post, MatRef a,
                                  const ConstMatRef& head_in, MatRef head_out, MatRef h_next);

}  // namespace namk
