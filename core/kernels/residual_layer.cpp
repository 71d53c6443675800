// See residual_layer.h. Three passes per tile, each over data the previous one left in L1: the
// dilated conv with the mixer's term (conv1d's small kernel), the activation and skip sum, then the
// 1x1 with its residual (conv1d's small kernel again). Every pass computes a column the same way
// whatever tile it is in, so tiling changes no bits.
#include "core/kernels/residual_layer.h"

#include <algorithm>

#include "core/kernels/conv1d.h"
#include "core/kernels/residual_layer_tiny.h"
#include "core/kernels/tuned.h"

namespace namk {

namespace {
// At most 128 columns of 16 channels: 8 KiB per (C, tile) matrix, so z, a, the head sum and the
// conv's input window stay in L1 between passes (about 40 KiB for the standard preset; tiles of 64
// measured 5-10 % slower per sample on long blocks, more calls for the same work). Streaming blocks
// of up to 128 samples are one tile.
constexpr Index kTile = 128;

// y = a + b, or a ⊙ b, elementwise over (C, n) blocks. Plain loops, not Eigen expressions: Eigen
// treats a block with a runtime outer stride column by column with scalar alignment peeling,
// which for 8 or 16 rows cost more than the arithmetic (a quarter of streaming time).
template <typename Op>
void elementwise(const ConstMatRef& a, const ConstMatRef& b, MatRef& y, Op op) {
  const Index rows = y.rows(), cols = y.cols();
  if (a.outerStride() == rows && b.outerStride() == rows && y.outerStride() == rows) {
    const Scalar *pa = a.data(), *pb = b.data();
    Scalar* py = y.data();
    for (Index i = 0; i < rows * cols; ++i) py[i] = op(pa[i], pb[i]);
    return;
  }
  for (Index t = 0; t < cols; ++t) {
    const Scalar *pa = a.col(t).data(), *pb = b.col(t).data();
    Scalar* py = y.col(t).data();
    for (Index r = 0; r < rows; ++r) py[r] = op(pa[r], pb[r]);
  }
}

// One tile's three passes. Every argument is a Ref made once by the caller and passed down by
// reference to the conv kernels (conv1d_forward_refs): streaming's blocks of 16 to 64 samples are
// one tile each, and a Ref rebuilt at every call boundary is a cost per block, not per sample.
// residual: h's last n columns (the layer input at the output's times).
[[gnu::always_inline]] inline void tile(const ResidualLayerWeights& w, const ResidualLayerShape& s,
                                        const ConstMatRef& ht, const ConstMatRef& ct, MatRef& zt, MatRef& post,
                                        MatRef& at, const ConstMatRef& head_in, MatRef& head_t, MatRef& next_t,
                                        const ConstMatRef& residual) {
  const Index c = at.rows();
  conv1d_forward_refs(ht, w.conv, w.conv_bias, s.dilation, zt, Conv1dExtras{ct, w.mixer, empty_mat(), w.conv_packed});
  if (s.gated) {
    activation_forward(s.activation, zt.topRows(c), post.topRows(c));
    activation_forward(Activation::Sigmoid, zt.bottomRows(c), post.bottomRows(c));
    elementwise(post.topRows(c), post.bottomRows(c), at, [](Scalar u, Scalar v) { return u * v; });
  } else {
    activation_forward(s.activation, zt, at);
  }
  if (head_in.size() > 0)
    elementwise(head_in, at, head_t, [](Scalar u, Scalar v) { return u + v; });
  else
    head_t = at;
  conv1d_forward_refs(at, w.out, w.out_bias, 1, next_t, Conv1dExtras{empty_mat(), empty_mat(), residual, w.out_packed});
}

// The tiled path, its Refs taken by reference: the public entry points pass theirs on without
// copying ten Refs through the stack per call (5% of a standard layer's time at block 16).
[[gnu::always_inline]] inline void tiled(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
           const ConstMatRef& condition, MatRef& z, MatRef& post, MatRef& a, const ConstMatRef& head_in,
           MatRef& head_out, MatRef& h_next) {
  const Index t_out = a.cols(), reach = h.cols() - t_out;
  if (t_out <= kTile) {
    // One tile (every streaming block up to 128 samples): the caller's Refs as they are.
    const ConstMatRef ct = condition.leftCols(t_out), residual = h.rightCols(t_out);
    return tile(w, s, h, ct, z, post, a, head_in, head_out, h_next, residual);
  }
  // Equal tiles, their edges on whole 16-column groups: a block of 70 is one tile, not 64 + 6 (the
  // short tile paid every pass's fixed cost for 6 columns, 7 % of a 70-sample block's time).
  const Index tiles = (t_out + kTile - 1) / kTile;
  for (Index i = 0, t0 = 0; i < tiles; ++i) {
    const Index end = i + 1 == tiles ? t_out : (t_out * (i + 1) / tiles) / 16 * 16;
    const Index n = end - t0;
    const ConstMatRef ht = h.middleCols(t0, n + reach), ct = condition.middleCols(t0, n),
                      hin = head_in.size() > 0 ? ConstMatRef(head_in.middleCols(t0, n)) : ConstMatRef(empty_mat()),
                      residual = h.middleCols(t0 + reach, n);
    MatRef zt = z.middleCols(t0, n), at = a.middleCols(t0, n), head_t = head_out.middleCols(t0, n),
           next_t = h_next.middleCols(t0, n);
    MatRef pt = s.gated ? MatRef(post.middleCols(t0, n)) : MatRef(empty_mat());
    tile(w, s, ht, ct, zt, pt, at, hin, head_t, next_t, residual);
    t0 += n;
  }
}
}  // namespace

void residual_layer_forward(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
                            const ConstMatRef& condition, MatRef z, MatRef post, MatRef a,
                            const ConstMatRef& head_in, MatRef head_out, MatRef h_next) {
  // Up to 4 channels the whole layer runs per column (residual_layer_tiny.h), in the order of the
  // channel-pair kernel the tiled path takes for those shapes: floats with AVX-512 only.
#if defined(__AVX512F__)
  if constexpr (kTunedKernels && sizeof(Scalar) == 4)
    if (residual_tiny::applies(w, s, h, condition, z, a, head_in, head_out, h_next))
      return residual_tiny::forward_any(w, s, h, condition, z, a, head_in, head_out, h_next);
#endif
  tiled(w, s, h, condition, z, post, a, head_in, head_out, h_next);
}

void residual_layer_forward_tiled(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
                                  const ConstMatRef& condition, MatRef z, MatRef post, MatRef a,
                                  const ConstMatRef& head_in, MatRef head_out, MatRef h_next) {
  tiled(w, s, h, condition, z, post, a, head_in, head_out, h_next);
}

}  // namespace namk
