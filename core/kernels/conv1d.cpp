// See conv1d.h. Why one GEMM per tap: each tap's input is a contiguous block of columns (no im2col
// copy), and the same kernel then serves training over a whole item and streaming over a ring buffer.
// Small channel counts (C_out <= 32, the WaveNet presets) take a column kernel instead: Eigen's GEMM
// packs its operands on every call, which for 16x16 blocks costs as much as the arithmetic, and its
// blocking depends on T, so a time step's rounding would depend on the block it was computed in.
#include "core/kernels/conv1d.h"

#include <algorithm>
#include <cstring>

#include "core/kernels/conv1d_small.h"

namespace namk {

namespace {

using namespace conv1d_small;

// y = b + sum over taps k and input channels i of w[:, k*C_in + i] * x(i, t + k*d) (+ the extras'
// side term, then residual), one output column at a time, vectorised over output channels (NV
// vectors of V per column, zero-padded). Every column is accumulated in the same fixed order (bias,
// then k, then i, then the side input), whether it is computed in a group of COLS columns (which
// share each weight load) or alone, so y[:, t] is bit-identical whatever the block size: streaming
// at any block size equals the training forward bit for bit.
// CIN and TAPS, when not 0, fix C_in (with x's columns contiguous) and K at compile time: every
// broadcast is then a constant offset from one pointer, where a runtime stride needs a register per
// column of the group and they spill.
template <typename V, int NV, int COLS, int CIN = 0, int TAPS = 0>
void forward_columns(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b, Index dilation,
                     MatRef& y, const Conv1dExtras& extras) {
  constexpr Index lanes = sizeof(V) / sizeof(Scalar);
  const Index c_in = CIN > 0 ? CIN : x.rows(), c_out = y.rows(), n_w = w.cols(), t_out = y.cols();
  const Index taps = TAPS > 0 ? TAPS : conv1d_kernel_size(n_w, c_in), c_side = extras.side.rows();
  // Weight columns are read as NV whole vectors: straight from w when C_out fills them (no copy per
  // call, which matters for streaming's short blocks), else from a zero-padded copy on the stack.
  auto weights = [&](ConstMatRef m, V* packed, Index& stride) {
    if (c_out == NV * lanes) {
      stride = m.outerStride();
      return m.data();
    }
    for (Index j = 0; j < m.cols(); ++j) {
      for (int v = 0; v < NV; ++v) packed[j * NV + v] = V{};
      std::memcpy(&packed[j * NV], m.col(j).data(), static_cast<size_t>(c_out) * sizeof(Scalar));
    }
    stride = NV * lanes;
    return reinterpret_cast<const Scalar*>(packed);
  };
  V packed[kMaxWeightCols * NV], side_packed[kMaxSideRows * NV];
  Index ws = 0, ss = 0;
  const Scalar* wd = weights(w, packed, ws);
  const Scalar* sw = c_side > 0 ? weights(extras.side_weight, side_packed, ss) : nullptr;
  V bias[NV];
  for (int v = 0; v < NV; ++v) bias[v] = V{};
  if (b.size() > 0) std::memcpy(bias, b.data(), static_cast<size_t>(c_out) * sizeof(Scalar));
  const Scalar* xd = x.data();
  const Scalar* sd = extras.side.data();
  const Scalar* rd = extras.residual.size() > 0 ? extras.residual.data() : nullptr;
  const Index xs = CIN > 0 ? CIN : x.outerStride(), ys = y.outerStride(), sds = extras.side.outerStride(),
              rs = extras.residual.outerStride();
  Scalar* yd = y.data();
  // FULL (C_out fills the NV vectors) is a template parameter: with the element-wise store of a
  // short column in the same loop, GCC kept the accumulators in memory.
  auto columns = [&]<int N, bool FULL>(Index t) {
    V acc[N][NV];
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c)
      for (int v = 0; v < NV; ++v) acc[c][v] = bias[v];
    for (Index k = 0; k < taps; ++k) {
      const Scalar* xk = xd + (t + k * dilation) * xs;
      const Scalar* wk = wd + k * c_in * ws;
      for (Index i = 0; i < c_in; ++i)
        for (int v = 0; v < NV; ++v) {
          V wv;
          std::memcpy(&wv, wk + i * ws + v * lanes, sizeof(V));
#pragma GCC unroll 16
          for (int c = 0; c < N; ++c) acc[c][v] += wv * xk[c * xs + i];
        }
    }
    for (Index j = 0; j < c_side; ++j)
      for (int v = 0; v < NV; ++v) {
        V wv;
        std::memcpy(&wv, sw + j * ss + v * lanes, sizeof(V));
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c][v] += wv * sd[(t + c) * sds + j];
      }
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) {
      Scalar* yc = yd + (t + c) * ys;
      const Scalar* rc = rd ? rd + (t + c) * rs : nullptr;
      for (int v = 0; v < NV; ++v) {
        const Index rows = FULL ? lanes : std::min<Index>(lanes, c_out - v * lanes);
        if (FULL || rows == lanes) {
          if (rc) {
            V r;
            std::memcpy(&r, rc + v * lanes, sizeof(V));
            acc[c][v] = r + acc[c][v];
          }
          std::memcpy(yc + v * lanes, &acc[c][v], sizeof(V));
        } else {
          for (Index l = 0; l < rows; ++l) yc[v * lanes + l] = rc ? rc[v * lanes + l] + acc[c][v][l] : acc[c][v][l];
        }
      }
    }
  };
  // Shorter groups before lone columns: a streaming block of 64 is not a multiple of every COLS.
  auto run = [&]<bool FULL>() {
    Index t = 0;
    for (; t + COLS <= t_out; t += COLS) columns.template operator()<COLS, FULL>(t);
    if constexpr (COLS > 8)
      for (; t + 8 <= t_out; t += 8) columns.template operator()<8, FULL>(t);
    if constexpr (COLS > 4)
      for (; t + 4 <= t_out; t += 4) columns.template operator()<4, FULL>(t);
    for (; t < t_out; ++t) columns.template operator()<1, FULL>(t);
  };
  if (c_out == NV * lanes)
    run.template operator()<true>();
  else
    run.template operator()<false>();
}

// Columns per group: enough independent accumulators to hide FMA latency, few enough to stay in
// registers (about 8 registers of accumulators).
template <typename V, int NV>
constexpr int small_columns() {
  constexpr int registers = NV * std::max<int>(1, int(sizeof(V)) / kRegisterBytes);
  return std::max(1, 8 / registers);
}

#if defined(__AVX512F__)
// Lane 2o of a channel-pair sum holds output o's even-channel part and lane 2o+1 its odd one:
// y(o) = v[2o] + v[2o+1], for two columns at once (c0 in lanes [0, half), c1 in [half, lanes)).
template <typename V>
inline V fold_pairs(const V& c0, const V& c1) {
  if constexpr (sizeof(V) / sizeof(c0[0]) == 16)
    return __builtin_shufflevector(c0, c1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
           __builtin_shufflevector(c0, c1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  else
    return __builtin_shufflevector(c0, c1, 0, 2, 4, 6, 8, 10, 12, 14) +
           __builtin_shufflevector(c0, c1, 1, 3, 5, 7, 9, 11, 13, 15);
}

// C_out <= 8 on a 16-lane machine (floats): each vector holds output channel o's sum over even
// input channels in lane 2o and over odd ones in lane 2o+1, so every FMA does full-width work where
// the column kernel would use half a register. Input channels 2p and 2p+1 of a column are adjacent,
// so one 8-byte broadcast load gives (x(2p, t), x(2p+1, t)) in every lane pair, against weights
// interleaved the same way (12 vectors for K=3, C_in=8: they stay in registers). No lane permute
// per FMA (the two-columns-per-vector design needed one and ran at half this speed); the two halves
// of each lane pair are added once per column at the end (fold_pairs). Every column is accumulated
// in the same order whether it is computed in a group or alone, so its bits do not depend on the
// block size. An odd last input channel is broadcast alone against weights zero in the odd lanes.
// TAPS and PAIRS (C_in / 2) fixed at compile time for the presets' shapes, with x's columns
// contiguous (stride C_in), let every broadcast address be a constant offset from one pointer
// (a runtime stride needs a register per column, and they spill); 0 reads the runtime shape.
// (The internal kernels take their Refs by reference: passing six Refs by value down the dispatch
// chain copied them through the stack on every call, a quarter of a streaming 1x1's time.)
template <int COLS, int TAPS, int PAIRS>
void forward_channel_pairs(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b,
                           Index dilation, MatRef& y, const Conv1dExtras& e) {
  constexpr Index half = kLanes / 2;
  const Index c_in = PAIRS > 0 ? 2 * PAIRS : x.rows(), c_out = y.rows(), t_out = y.cols(),
              c_side = e.side.rows();
  const Index taps = TAPS > 0 ? TAPS : conv1d_kernel_size(w.cols(), c_in), in_pairs = (c_in + 1) / 2,
              side_pairs = (c_side + 1) / 2;
  // Columns j and j+1 of m interleaved (lane 2o: m(o, j), lane 2o+1: m(o, j+1), or 0 past `last`).
  // Two full adjacent columns are one 16-float load and one permute: streaming packs every call.
  auto interleave = [&](ConstMatRef m, Index j, Index last, Vector64& v) {
    if (c_out == half && j + 1 <= last && m.outerStride() == half) {
      Vector64 two;
      std::memcpy(&two, m.col(j).data(), sizeof two);
      if constexpr (kLanes == 16)
        v = __builtin_shufflevector(two, two, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
      else
        v = __builtin_shufflevector(two, two, 0, 4, 1, 5, 2, 6, 3, 7);
      return;
    }
    v = Vector64{};
    for (Index o = 0; o < c_out; ++o) {
      v[2 * o] = m(o, j);
      if (j + 1 <= last) v[2 * o + 1] = m(o, j + 1);
    }
  };
  Vector64 weights[kMaxWeightCols], side_weights[kMaxSideRows];
  for (Index k = 0; k < taps; ++k)
    for (Index p = 0; p < in_pairs; ++p)
      interleave(w, k * c_in + 2 * p, k * c_in + c_in - 1, weights[k * in_pairs + p]);
  for (Index p = 0; p < side_pairs; ++p) interleave(e.side_weight, 2 * p, c_side - 1, side_weights[p]);
  Vector64 bias = {};
  for (Index o = 0; o < b.size(); ++o) bias[2 * o] = b(o, 0);
  const bool odd_in = c_in % 2 == 1, odd_side = c_side % 2 == 1;
  const Scalar* xd = x.data();
  const Scalar* sd = e.side.data();
  const Scalar* rd = e.residual.size() > 0 ? e.residual.data() : nullptr;
  const Index xs = PAIRS > 0 ? 2 * PAIRS : x.outerStride(), ys = y.outerStride(),
              ss = e.side.outerStride(), rs = e.residual.outerStride();
  Scalar* yd = y.data();
  const bool packed_out = c_out == half && ys == half && (!rd || rs == half);
  // Column t's sum, y(:, t) = residual + (even + odd), from one folded vector's half h.
  auto store = [&](Index t, const Vector64& folded, Index h) {
    Scalar* yc = yd + t * ys;
    const Scalar* rc = rd ? rd + t * rs : nullptr;
    for (Index o = 0; o < c_out; ++o) yc[o] = rc ? rc[o] + folded[h * half + o] : folded[h * half + o];
  };
  // PACKED (C_out = 8, y and the residual contiguous): two columns are one vector of y, stored
  // straight from a register. A template parameter, not a branch: with the element-wise store in
  // the same loop, GCC kept the accumulators in memory (the 1x1 ran at a third of its speed).
  auto columns = [&]<int N, bool PACKED>(Index t) {
    Vector64 acc[N];
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) acc[c] = bias;
    for (Index k = 0; k < taps; ++k) {
      const Scalar* xk = xd + (t + k * dilation) * xs;
      const Vector64* wk = weights + k * in_pairs;
      for (Index p = 0; p < c_in / 2; ++p)
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c] += wk[p] * broadcast_pair(xk + c * xs + 2 * p);
      if (odd_in)
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c] += wk[in_pairs - 1] * xk[c * xs + c_in - 1];
    }
    for (Index p = 0; p < c_side / 2; ++p)
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c] += side_weights[p] * broadcast_pair(sd + (t + c) * ss + 2 * p);
    if (odd_side)
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c] += side_weights[side_pairs - 1] * sd[(t + c) * ss + c_side - 1];
    if constexpr (N == 1) {
      store(t, fold_pairs(acc[0], acc[0]), 0);
    } else if constexpr (PACKED) {
#pragma GCC unroll 8
      for (int c = 0; c < N; c += 2) {
        Vector64 both = fold_pairs(acc[c], acc[c + 1]);  // columns t+c and t+c+1
        if (rd) {
          Vector64 r;
          std::memcpy(&r, rd + (t + c) * half, sizeof r);
          both = r + both;
        }
        std::memcpy(yd + (t + c) * half, &both, sizeof both);
      }
    } else {
#pragma GCC unroll 8
      for (int c = 0; c < N; c += 2) {
        const Vector64 both = fold_pairs(acc[c], acc[c + 1]);
        store(t + c, both, 0);
        store(t + c + 1, both, 1);
      }
    }
  };
  // The same walk as forward_columns', written again on purpose: shared through a function
  // template, the 8-channel 1x1 compiled to code 15% slower.
  auto run = [&]<bool PACKED>() {
    Index t = 0;
    for (; t + COLS <= t_out; t += COLS) columns.template operator()<COLS, PACKED>(t);
    if constexpr (COLS > 8)
      for (; t + 8 <= t_out; t += 8) columns.template operator()<8, PACKED>(t);
    if constexpr (COLS > 4)
      for (; t + 4 <= t_out; t += 4) columns.template operator()<4, PACKED>(t);
    for (; t < t_out; ++t) columns.template operator()<1, PACKED>(t);
  };
  if (packed_out)
    run.template operator()<true>();
  else
    run.template operator()<false>();
}

// The presets' shapes get compile-time kernels: C_in 2 to 8 with K = 3, and up to 16 with K = 1 (the
// 1x1s, and the 16-to-8 rechannel and head of the standard preset), x contiguous.
template <int TAPS, int MAX_PAIRS, int PAIRS = 1>
bool channel_pairs_fixed(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b,
                         Index dilation, MatRef& y, const Conv1dExtras& e) {
  if (x.rows() == 2 * PAIRS && conv1d_kernel_size(w.cols(), x.rows()) == TAPS) {
    forward_channel_pairs<16, TAPS, PAIRS>(x, w, b, dilation, y, e);
    return true;
  }
  if constexpr (PAIRS < MAX_PAIRS) return channel_pairs_fixed<TAPS, MAX_PAIRS, PAIRS + 1>(x, w, b, dilation, y, e);
  return false;
}

void channel_pairs(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b, Index dilation,
                   MatRef& y, const Conv1dExtras& e) {
  if (x.outerStride() == x.rows() && (channel_pairs_fixed<3, 4>(x, w, b, dilation, y, e) ||
                                      channel_pairs_fixed<1, 8>(x, w, b, dilation, y, e)))
    return;
  forward_channel_pairs<8, 0, 0>(x, w, b, dilation, y, e);
}
#endif

}  // namespace

// Whether (and how) the small-channel kernel takes this shape; false leaves it to the GEMM path.
bool conv1d_forward_small(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                          const Conv1dExtras& e) {
  const Index c_out = y.rows();
  if (c_out > kMaxRows || w.cols() > kMaxWeightCols || e.side.rows() > kMaxSideRows ||
      y.cols() == 0 || x.rows() == 0)
    return false;
  constexpr Index lanes = kLanes;
#if defined(__AVX512F__)
  if (c_out <= lanes / 2 && sizeof(Scalar) == 4) {
    channel_pairs(x, w, b, dilation, y, e);
    return true;
  }
#endif
  if (c_out <= lanes / 2)
    forward_columns<Vector32, 1, small_columns<Vector32, 1>()>(x, w, b, dilation, y, e);
  else if (c_out <= lanes) {
    // With one register per column, 16 columns leave each accumulator's FMA chain slack to hide
    // latency (8 only just cover it); split over narrower registers they would spill.
    constexpr int cols = small_columns<Vector64, 1>(), wide = kRegisterBytes == 64 ? 16 : cols;
    const Index taps = conv1d_kernel_size(w.cols(), x.rows());
    if (x.rows() == lanes && x.outerStride() == lanes && taps == 3)
      forward_columns<Vector64, 1, wide, lanes, 3>(x, w, b, dilation, y, e);
    else if (x.rows() == lanes && x.outerStride() == lanes && taps == 1)
      forward_columns<Vector64, 1, wide, lanes, 1>(x, w, b, dilation, y, e);
    else
      forward_columns<Vector64, 1, cols>(x, w, b, dilation, y, e);
  }
  else if (c_out <= 2 * lanes)
    forward_columns<Vector64, 2, small_columns<Vector64, 2>()>(x, w, b, dilation, y, e);
  else if constexpr (3 * lanes <= kMaxRows) {
    if (c_out <= 3 * lanes)
      forward_columns<Vector64, 3, small_columns<Vector64, 3>()>(x, w, b, dilation, y, e);
    else
      forward_columns<Vector64, 4, small_columns<Vector64, 4>()>(x, w, b, dilation, y, e);
  } else {
    return false;
  }
  return true;
}

void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  conv1d_forward(x, w, b, dilation, y, Conv1dExtras{});
}

void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                    const Conv1dExtras& extras) {
  if (conv1d_forward_small(x, w, b, dilation, y, extras)) return;
  conv1d_forward_generic(x, w, b, dilation, y);
  if (extras.side.size() > 0) y.noalias() += extras.side_weight * extras.side;
  if (extras.residual.size() > 0) y += extras.residual;
}

void conv1d_forward_generic(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in), t_out = y.cols();
  if (b.size() > 0)
    y.colwise() = b.col(0);
  else
    y.setZero();
  for (Index k = 0; k < taps; ++k)
    y.noalias() += w.middleCols(k * c_in, c_in) * x.middleCols(k * dilation, t_out);
}

void conv1d_forward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
  for (Index t = 0; t < y.cols(); ++t)
    for (Index o = 0; o < y.rows(); ++o) {
      Scalar sum = b.size() > 0 ? b(o, 0) : Scalar(0);
      for (Index k = 0; k < taps; ++k)
        for (Index i = 0; i < c_in; ++i) sum += w(o, k * c_in + i) * x(i, t + k * dilation);
      y(o, t) = sum;
    }
}

void conv1d_backward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation,
                           MatRef dx, MatRef dw, MatRef db) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
  for (Index t = 0; t < dy.cols(); ++t)
    for (Index o = 0; o < dy.rows(); ++o) {
      if (db.size() > 0) db(o, 0) += dy(o, t);
      for (Index k = 0; k < taps; ++k)
        for (Index i = 0; i < c_in; ++i) {
          if (dx.size() > 0) dx(i, t + k * dilation) += w(o, k * c_in + i) * dy(o, t);
          if (dw.size() > 0) dw(o, k * c_in + i) += x(i, t + k * dilation) * dy(o, t);
        }
    }
}

}  // namespace namk
