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
template <typename V, int NV, int COLS>
void forward_columns(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                     const Conv1dExtras& extras) {
  constexpr Index lanes = sizeof(V) / sizeof(Scalar);
  const Index c_in = x.rows(), c_out = y.rows(), n_w = w.cols(), t_out = y.cols();
  const Index taps = conv1d_kernel_size(n_w, c_in), c_side = extras.side.rows();
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
  const Index xs = x.outerStride(), ys = y.outerStride(), sds = extras.side.outerStride(),
              rs = extras.residual.outerStride();
  Scalar* yd = y.data();
  auto columns = [&]<int N>(Index t) {
    V acc[N][NV];
    for (int c = 0; c < N; ++c)
      for (int v = 0; v < NV; ++v) acc[c][v] = bias[v];
    for (Index k = 0; k < taps; ++k) {
      const Scalar* xk = xd + (t + k * dilation) * xs;
      const Scalar* wk = wd + k * c_in * ws;
      for (Index i = 0; i < c_in; ++i)
        for (int v = 0; v < NV; ++v) {
          V wv;
          std::memcpy(&wv, wk + i * ws + v * lanes, sizeof(V));
          for (int c = 0; c < N; ++c) acc[c][v] += wv * xk[c * xs + i];
        }
    }
    for (Index j = 0; j < c_side; ++j)
      for (int v = 0; v < NV; ++v) {
        V wv;
        std::memcpy(&wv, sw + j * ss + v * lanes, sizeof(V));
        for (int c = 0; c < N; ++c) acc[c][v] += wv * sd[(t + c) * sds + j];
      }
    for (int c = 0; c < N; ++c) {
      Scalar* yc = yd + (t + c) * ys;
      const Scalar* rc = rd ? rd + (t + c) * rs : nullptr;
      for (int v = 0; v < NV; ++v) {
        const Index rows = std::min<Index>(lanes, c_out - v * lanes);
        if (rows == lanes) {
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
  Index t = 0;
  for (; t + COLS <= t_out; t += COLS) columns.template operator()<COLS>(t);
  for (; t < t_out; ++t) columns.template operator()<1>(t);
}

// Columns per group: enough independent accumulators to hide FMA latency, few enough to stay in
// registers (about 8 registers of accumulators).
template <typename V, int NV>
constexpr int small_columns() {
  constexpr int registers = NV * std::max<int>(1, int(sizeof(V)) / kRegisterBytes);
  return std::max(1, 8 / registers);
}

// C_out <= 8 with C_in = 8 on a 16-lane machine (floats; 4 and 8 for doubles): one vector holds two columns (lanes 0-7: column
// t, lanes 8-15: column t+1), so every FMA does full-width work where the column kernel would use
// half a register. Columns t and t+1 of an 8-row x are one contiguous 16-float load, and a lane
// permutation turns it into (x(i, t) x 8, x(i, t+1) x 8); the weights are stored twice over. Each
// lane accumulates exactly as the column kernel does (bias, taps and channels in the same order,
// one FMA each), so a column has the same bits here and in a lone-column tail.
template <int PAIRS>
void forward_pairs8(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y, const Conv1dExtras& e) {
  // Written for any Scalar (a 64-byte vector of 16 floats or 8 doubles), taken only on AVX-512.
  constexpr Index lanes = kLanes, half = lanes / 2;
  const Index c_out = y.rows(), n_w = w.cols(), t_out = y.cols(), c_side = e.side.rows();
  const Index taps = conv1d_kernel_size(n_w, half);
  // Built per call (streaming calls with 64 columns, so this must stay cheap): two copies of a
  // full column, or element by element for a short one.
  // Out-parameter, not a return value: returning a 64-byte vector warns (-Wpsabi) without AVX-512.
  auto doubled = [&](const Scalar* column, Vector64& v) {
    v = Vector64{};
    if (c_out == half) {
      // In registers: two half-vector stores read back as one vector defeat store forwarding (a
      // stall that took a quarter of this kernel's time).
      Vector32 h;
      std::memcpy(&h, column, sizeof h);
      if constexpr (half == 8)
        v = __builtin_shufflevector(h, h, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7);
      else
        v = __builtin_shufflevector(h, h, 0, 1, 2, 3, 0, 1, 2, 3);
    } else {
      for (Index r = 0; r < c_out; ++r) v[r] = v[r + half] = column[r];
    }
  };
  Vector64 weights[kMaxWeightCols], side_weights[kMaxSideRows];
  for (Index j = 0; j < n_w; ++j) doubled(w.col(j).data(), weights[j]);
  for (Index j = 0; j < c_side; ++j) doubled(e.side_weight.col(j).data(), side_weights[j]);
  Vector64 bias = {};
  if (b.size() > 0) doubled(b.data(), bias);
  const Indices64* pick = pair_lanes();
  const Scalar* xd = x.data();
  const Index ys = y.outerStride(), rs = e.residual.outerStride(), ss = e.side.outerStride();
  Scalar* yd = y.data();
  const Scalar* rd = e.residual.size() > 0 ? e.residual.data() : nullptr;
  const Scalar* sd = e.side.data();
  const bool packed_out = c_out == half && ys == half && (!rd || rs == half);
  Index t = 0;
  for (; t + 2 * PAIRS <= t_out; t += 2 * PAIRS) {
    Vector64 acc[PAIRS];
    for (int p = 0; p < PAIRS; ++p) acc[p] = bias;
    for (Index k = 0; k < taps; ++k) {
      Vector64 pair[PAIRS];
      for (int p = 0; p < PAIRS; ++p) std::memcpy(&pair[p], xd + (t + 2 * p + k * dilation) * half, sizeof(Vector64));
      for (int i = 0; i < half; ++i)
        for (int p = 0; p < PAIRS; ++p) acc[p] += weights[k * half + i] * __builtin_shuffle(pair[p], pick[i]);
    }
    for (Index j = 0; j < c_side; ++j)
      for (int p = 0; p < PAIRS; ++p) {
        Vector64 v;
        const Scalar s0 = sd[(t + 2 * p) * ss + j], s1 = sd[(t + 2 * p + 1) * ss + j];
        for (int l = 0; l < lanes; ++l) v[l] = l < half ? s0 : s1;
        acc[p] += side_weights[j] * v;
      }
    if (packed_out) {  // both columns are one contiguous vector of y (and of the residual)
      for (int p = 0; p < PAIRS; ++p) {
        Scalar* yc = yd + (t + 2 * p) * ys;
        if (rd) {
          Vector64 r;
          std::memcpy(&r, rd + (t + 2 * p) * rs, sizeof r);
          acc[p] = r + acc[p];
        }
        std::memcpy(yc, &acc[p], sizeof(Vector64));
      }
      continue;
    }
    for (int p = 0; p < PAIRS; ++p)
      for (int c = 0; c < 2; ++c) {
        const Index col = t + 2 * p + c;
        Scalar* yc = yd + col * ys;
        const Scalar* rc = rd ? rd + col * rs : nullptr;
        for (Index r = 0; r < c_out; ++r) yc[r] = rc ? rc[r] + acc[p][c * half + r] : acc[p][c * half + r];
      }
  }
  if (t < t_out)
    forward_columns<Vector32, 1, 1>(x.middleCols(t, x.cols() - t), w, b, dilation, y.middleCols(t, t_out - t),
                                    Conv1dExtras{e.side.size() > 0 ? ConstMatRef(e.side.middleCols(t, t_out - t)) : e.side,
                                                 e.side_weight,
                                                 rd ? ConstMatRef(e.residual.middleCols(t, t_out - t)) : e.residual});
}

}  // namespace

// Whether (and how) the small-channel kernel takes this shape; false leaves it to the GEMM path.
bool conv1d_forward_small(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                          const Conv1dExtras& e) {
  const Index c_out = y.rows();
  if (c_out > kMaxRows || w.cols() > kMaxWeightCols || e.side.rows() > kMaxSideRows ||
      y.cols() == 0 || x.rows() == 0)
    return false;
  constexpr Index lanes = sizeof(Vector64) / sizeof(Scalar);
  if (kRegisterBytes == 64 && c_out <= lanes / 2 && x.rows() == lanes / 2 && x.outerStride() == lanes / 2)
    forward_pairs8<4>(x, w, b, dilation, y, e);
  else if (c_out <= lanes / 2)
    forward_columns<Vector32, 1, small_columns<Vector32, 1>()>(x, w, b, dilation, y, e);
  else if (c_out <= lanes)
    forward_columns<Vector64, 1, small_columns<Vector64, 1>()>(x, w, b, dilation, y, e);
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
