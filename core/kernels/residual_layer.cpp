// See residual_layer.h. Three passes per tile, each over data the previous one left in L1: the
// dilated conv with the mixer's term (conv1d's small kernel), the activation and skip sum, then the
// 1x1 with its residual (conv1d's small kernel again). Every pass computes a column the same way
// whatever tile it is in, so tiling changes no bits.
#include "core/kernels/residual_layer.h"

#include <algorithm>
#include <type_traits>

#include "core/kernels/conv1d.h"
#include "core/kernels/residual_layer_tiny.h"
#include "core/kernels/tuned.h"

namespace namk {

namespace {
// The two argument families tile() and tiled() are written for: Eigen Refs (the training op, the
// tests) and views (streaming's residual_layer_stream). The overloads below tell them apart.
struct RefArgs {
  using In = ConstMatRef;
  using Out = MatRef;
  using Weights = ResidualLayerWeights;
  using Extras = Conv1dExtras;
};
struct ViewArgs {
  using In = ConstMatView;
  using Out = const MatView;
  using Weights = ResidualLayerWeightViews;
  using Extras = Conv1dViewExtras;
};

void conv(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b, Index dilation, MatRef& y,
          const Conv1dExtras& e) {
  conv1d_forward_refs(x, w, b, dilation, y, e);
}
void conv(const ConstMatView& x, const ConstMatView& w, const ConstMatView& b, Index dilation, const MatView& y,
          const Conv1dViewExtras& e) {
  conv1d_forward_views(x, w, b, dilation, y, e);
}
void activate(Activation a, ConstMatRef x, MatRef y) { activation_forward(a, x, y); }
void activate(Activation a, const ConstMatView& x, const MatView& y) { activation_forward_views(a, x, y); }
// Rows [start, start + n), for the gated halves of z.
MatRef middle_rows(MatRef& m, Index start, Index n) { return m.middleRows(start, n); }
MatView middle_rows(const MatView& m, Index start, Index n) { return m.middle_rows(start, n); }

// y = a + b, or a ⊙ b, or a alone (op of one argument), elementwise over (C, n) blocks. Plain
// loops, not Eigen expressions: Eigen treats a block with a runtime outer stride column by column
// with scalar alignment peeling, which for 8 or 16 rows cost more than the arithmetic (a quarter
// of streaming time).
template <typename CA, typename CB, typename Y, typename Op>
void elementwise(const CA& a, const CB& b, Y& y, Op op) {
  const Index rows = y.rows(), cols = y.cols();
  if (a.outerStride() == rows && b.outerStride() == rows && y.outerStride() == rows) {
    const Scalar *pa = a.data(), *pb = b.data();
    Scalar* py = y.data();
    for (Index i = 0; i < rows * cols; ++i) py[i] = op(pa[i], pb[i]);
    return;
  }
  for (Index t = 0; t < cols; ++t) {
    const Scalar *pa = a.data() + t * a.outerStride(), *pb = b.data() + t * b.outerStride();
    Scalar* py = y.data() + t * y.outerStride();
    for (Index r = 0; r < rows; ++r) py[r] = op(pa[r], pb[r]);
  }
}

// Whether a block's columns follow one another (one array of rows * cols values).
template <typename M>
bool contiguous(const M& m) {
  return m.outerStride() == m.rows();
}

// One tile's three passes. Every argument is a Ref (or view) made once by the caller and passed
// down by reference to the conv kernels: streaming's blocks of 16 to 64 samples are one tile each,
// and a Ref rebuilt at every call boundary is a cost per block, not per sample.
// conv_extras: the tile's condition and the mixer, for the dilated conv. out_extras: h's last n
// columns (the layer input at the output's times) as the 1x1's residual. The caller builds both
// in place (conv_extras() and out_extras() below): a view built first and then copied into the
// struct was written as 8- and 16-byte pieces and read back as one 32-byte load, which store
// forwarding cannot serve (at block 16, a third of this function's own time).
template <typename A>
[[gnu::always_inline]] inline void tile(const typename A::Weights& w, const ResidualLayerShape& s,
                                        const typename A::In& ht, const typename A::Extras& conv_extras,
                                        typename A::Out& zt, typename A::Out& post, typename A::Out& at,
                                        const typename A::In& head_in, typename A::Out& head_t,
                                        typename A::Out& next_t, const typename A::Extras& out_extras) {
  const Index c = at.rows();
  conv(ht, w.conv, w.conv_bias, s.dilation, zt, conv_extras);
  if (s.gated) {
    activate(s.activation, middle_rows(zt, 0, c), middle_rows(post, 0, c));
    activate(Activation::Sigmoid, middle_rows(zt, c, c), middle_rows(post, c, c));
    elementwise(middle_rows(post, 0, c), middle_rows(post, c, c), at, [](Scalar u, Scalar v) { return u * v; });
  } else if (s.activation == Activation::Tanh && head_in.size() > 0 && contiguous(zt) && contiguous(at) &&
             contiguous(head_in) && contiguous(head_t)) {
    // The skip sum while a is in registers, not a second pass over it: the same bits.
    tanh_add(zt.data(), at.data(), head_in.data(), head_t.data(), at.size());
    return conv(at, w.out, w.out_bias, 1, next_t, out_extras);
  } else {
    activate(s.activation, zt, at);
  }
  if (head_in.size() > 0)
    elementwise(head_in, at, head_t, [](Scalar u, Scalar v) { return u + v; });
  else
    elementwise(at, at, head_t, [](Scalar u, Scalar) { return u; });
  conv(at, w.out, w.out_bias, 1, next_t, out_extras);
}

// The extras of a tile of n columns from t0 (see tile()), each member built where it lives.
template <typename A>
[[gnu::always_inline]] inline typename A::Extras conv_extras(const typename A::Weights& w,
                                                             const typename A::In& condition, Index t0, Index n) {
  return typename A::Extras{middle_cols(condition, t0, n), w.mixer, empty_mat(), w.conv_packed};
}
template <typename A>
[[gnu::always_inline]] inline typename A::Extras out_extras(const typename A::Weights& w, const typename A::In& h,
                                                            Index reach, Index t0, Index n) {
  return typename A::Extras{empty_mat(), empty_mat(), middle_cols(h, t0 + reach, n), w.out_packed};
}

// The tiled path, its Refs (or views) taken by reference: the public entry points pass theirs on
// without copying ten Refs through the stack per call (5% of a standard layer's time at block 16).
template <typename A>
[[gnu::always_inline]] inline void tiled(const typename A::Weights& w, const ResidualLayerShape& s,
                                         const typename A::In& h, const typename A::In& condition,
                                         typename A::Out& z, typename A::Out& post, typename A::Out& a,
                                         const typename A::In& head_in, typename A::Out& head_out,
                                         typename A::Out& h_next) {
  const Index t_out = a.cols(), reach = h.cols() - t_out;
  if (t_out <= kResidualLayerTile) {
    // One tile (every streaming block up to kResidualLayerTile samples): the caller's Refs as they are.
    const typename A::Extras ce = conv_extras<A>(w, condition, 0, t_out), oe = out_extras<A>(w, h, reach, 0, t_out);
    return tile<A>(w, s, h, ce, z, post, a, head_in, head_out, h_next, oe);
  }
  // z of fewer columns than the output is the caller's tile scratch (see residual_layer.h).
  const bool z_is_scratch = z.cols() < t_out;
  // Equal tiles, their edges on whole 16-column groups: a block of 70 is one tile, not 64 + 6 (the
  // short tile paid every pass's fixed cost for 6 columns, 7 % of a 70-sample block's time).
  using Out = std::remove_const_t<typename A::Out>;
  const Index tiles = (t_out + kResidualLayerTile - 1) / kResidualLayerTile;
  for (Index i = 0, t0 = 0; i < tiles; ++i) {
    const Index end = i + 1 == tiles ? t_out : (t_out * (i + 1) / tiles) / 16 * 16;
    const Index n = end - t0;
    const typename A::In ht = middle_cols(h, t0, n + reach),
                         hin = head_in.size() > 0 ? middle_cols(head_in, t0, n) : typename A::In(empty_mat());
    const typename A::Extras ce = conv_extras<A>(w, condition, t0, n), oe = out_extras<A>(w, h, reach, t0, n);
    Out zt = middle_cols(z, z_is_scratch ? 0 : t0, n), at = middle_cols(a, t0, n), head_t = middle_cols(head_out, t0, n),
        next_t = middle_cols(h_next, t0, n);
    Out pt = s.gated ? middle_cols(post, t0, n) : Out(empty_mat());
    tile<A>(w, s, ht, ce, zt, pt, at, hin, head_t, next_t, oe);
    t0 += n;
  }
}

// Both entries: up to 4 channels the whole layer runs per column (residual_layer_tiny.h), in the
// order of the channel-pair kernel the tiled path takes for those shapes (floats with AVX-512 only);
// otherwise the tiled path.
template <typename A>
void layer(const typename A::Weights& w, const ResidualLayerShape& s, const typename A::In& h,
           const typename A::In& condition, typename A::Out& z, typename A::Out& post, typename A::Out& a,
           const typename A::In& head_in, typename A::Out& head_out, typename A::Out& h_next) {
#if defined(__AVX512F__)
  if constexpr (kTunedKernels && sizeof(Scalar) == 4)
    if (residual_tiny::applies(w, s, h, condition, z, a, head_in, head_out, h_next))
      return residual_tiny::forward_any(w, s, h, condition, z, a, head_in, head_out, h_next);
#endif
  tiled<A>(w, s, h, condition, z, post, a, head_in, head_out, h_next);
}
}  // namespace

void residual_layer_forward(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
                            const ConstMatRef& condition, MatRef z, MatRef post, MatRef a,
                            const ConstMatRef& head_in, MatRef head_out, MatRef h_next) {
  layer<RefArgs>(w, s, h, condition, z, post, a, head_in, head_out, h_next);
}

void residual_layer_stream(const ResidualLayerWeightViews& w, const ResidualLayerShape& s, const ConstMatView& h,
                           const ConstMatView& condition, const MatView& z, const MatView& post, const MatView& a,
                           const ConstMatView& head_in, const MatView& head_out, const MatView& h_next) {
  layer<ViewArgs>(w, s, h, condition, z, post, a, head_in, head_out, h_next);
}

void residual_layer_forward_tiled(const ResidualLayerWeights& w, const ResidualLayerShape& s, const ConstMatRef& h,
                                  const ConstMatRef& condition, MatRef z, MatRef post, MatRef a,
                                  const ConstMatRef& head_in, MatRef head_out, MatRef h_next) {
  tiled<RefArgs>(w, s, h, condition, z, post, a, head_in, head_out, h_next);
}

}  // namespace namk
