// conv1d_backward (see conv1d.h). For small channel counts both gradients avoid Eigen's GEMM, whose
// per-call packing of (16, T) operands cost as much as the arithmetic:
// - dx is itself a conv: dx(s) = sum_k W_k^T dy(s - k*d), i.e. the forward column kernel run over
//   dy with (K-1)*d zero columns on each side and the taps' transposes in reverse order; it adds
//   straight into dx through the kernel's residual term.
// - dW_k = sum_t dy(:, t) x(:, t + k*d)^T is a sum of outer products over time: a column kernel
//   keeps a block of dW_k's columns in registers while it streams over t.
// Other shapes take one GEMM per tap. Padding and transposes go into per-thread scratch that only
// grows, so a training step allocates nothing after its first.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/kernels/conv1d.h"
#include "core/kernels/conv1d_small.h"
#include "core/scratch.h"

namespace namk {

namespace {

using namespace conv1d_small;

// dx += conv^T(dy): see the file comment. False when the shapes are not small. Interior columns
// s in [R, T) read dy directly (every dy(s - k*d) exists); only the two edges of R columns go
// through zero-padded copies, so a dilation of 512 copies 4R columns, not the whole signal.
bool input_grad_small(ConstMatRef w, ConstMatRef dy, Index dilation, MatRef dx) {
  const Index c_in = dx.rows(), c_out = dy.rows(), taps = conv1d_kernel_size(w.cols(), c_in),
              reach = (taps - 1) * dilation, t_out = dy.cols();
  if (c_in > kMaxRows || taps * c_out > kMaxWeightCols) return false;
  thread_local std::vector<Scalar> pad_buffer, wt_buffer;
  MatMap wt = scratch_matrix(wt_buffer, c_in, taps * c_out);
  for (Index k = 0; k < taps; ++k)
    wt.middleCols(k * c_out, c_out) = w.middleCols((taps - 1 - k) * c_in, c_in).transpose();
  // dx's columns [from, from + n) from dy's columns [from - R, from + n) (zero outside [0, T)).
  auto columns = [&](Index from, Index n) {
    if (from >= reach && from + n <= t_out)
      return conv1d_forward_small(dy.middleCols(from - reach, n + reach), wt, empty_mat(), dilation,
                                  dx.middleCols(from, n), Conv1dExtras{empty_mat(), empty_mat(), dx.middleCols(from, n)});
    MatMap pad = scratch_matrix(pad_buffer, c_out, n + reach);
    for (Index j = 0; j < n + reach; ++j) {
      const Index src = from - reach + j;
      if (src >= 0 && src < t_out)
        pad.col(j) = dy.col(src);
      else
        pad.col(j).setZero();
    }
    return conv1d_forward_small(pad, wt, empty_mat(), dilation, dx.middleCols(from, n),
                                Conv1dExtras{empty_mat(), empty_mat(), dx.middleCols(from, n)});
  };
  const Index total = t_out + reach, left = std::min(reach, total);
  if (!columns(0, left)) return false;
  const Index interior_end = std::max(left, t_out);
  if (interior_end > left) columns(left, interior_end - left);
  if (total > interior_end) columns(interior_end, total - interior_end);
  return true;
}

// dw(:, k*C_in + i0 .. + IB) += sum_t dy(:, t) x(i0 .. + IB, t + k*d)^T, dy's column as NV vectors.
// FULL (C_out fills the vectors exactly) is a template parameter: a branch inside the loop made GCC
// spill the accumulators to the stack on every step.
template <typename V, int NV, int IB, bool FULL>
void weight_grad_block(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, Index k, Index i0,
                       MatRef& dw) {
  constexpr Index lanes = sizeof(V) / sizeof(Scalar);
  const Index c_out = dy.rows(), c_in = x.rows(), t_out = dy.cols(), xs = x.outerStride(), gs = dy.outerStride();
  V acc[IB][NV];
  for (int i = 0; i < IB; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  const Scalar* xd = x.data() + k * dilation * xs + i0;
  const Scalar* gd = dy.data();
  // A short column (C_out below the vector width) is still loaded as whole vectors while that stays
  // inside dy: the extra lanes read the next column, accumulate into lanes that are never stored,
  // and cost nothing, where a per-step partial copy cost most of the kernel's time (nano).
  // Step t may load whole vectors while t*gs + NV*lanes <= (t_out-1)*gs + c_out, dy's last element
  // + 1. (The slack is tested for sign first: integer division truncates toward zero.)
  const Index slack = (t_out - 1) * gs + c_out - NV * lanes;
  const Index whole_loads = FULL ? t_out : (slack < 0 ? 0 : std::min(t_out, slack / gs + 1));
  auto step = [&](Index t, const V* g) {
    const Scalar* xt = xd + t * xs;
    for (int i = 0; i < IB; ++i)
      for (int v = 0; v < NV; ++v) acc[i][v] += g[v] * xt[i];
  };
  for (Index t = 0; t < whole_loads; ++t) {
    V g[NV];
    std::memcpy(g, gd + t * gs, sizeof g);
    step(t, g);
  }
  for (Index t = whole_loads; t < t_out; ++t) {
    V g[NV];
    for (int v = 0; v < NV; ++v) g[v] = V{};
    std::memcpy(g, gd + t * gs, static_cast<size_t>(c_out) * sizeof(Scalar));
    step(t, g);
  }
  for (int i = 0; i < IB; ++i) {
    Scalar* col = dw.col(k * c_in + i0 + i).data();
    if constexpr (FULL) {
      V current[NV];
      std::memcpy(current, col, sizeof current);
      for (int v = 0; v < NV; ++v) current[v] += acc[i][v];
      std::memcpy(col, current, sizeof current);
    } else {
      for (Index r = 0; r < c_out; ++r) col[r] += acc[i][r / lanes][r % lanes];
    }
  }
}

template <typename V, int NV, bool FULL>
void weight_grad_columns(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  // 16 accumulator registers: enough independent FMA chains, with room for dy's column.
  constexpr int block = std::max(1, 16 / NV);
  // Time in chunks whose dy and x columns stay in L1 while every tap and channel block reads them
  // (whole-signal passes per tap ran from L3 at 60% of the forward's speed).
  constexpr Index chunk = 512;
  const Index c_in = x.rows(), taps = conv1d_kernel_size(dw.cols(), c_in), t_out = dy.cols(),
              reach = x.cols() - t_out;
  for (Index t0 = 0; t0 < t_out; t0 += chunk) {
    const Index n = std::min(chunk, t_out - t0);
    // Refs made once and passed by reference: a Ref built per call costs more than a short block.
    const ConstMatRef xc = x.middleCols(t0, n + reach), gc = dy.middleCols(t0, n);
    for (Index k = 0; k < taps; ++k) {
      Index i = 0;
      for (; i + block <= c_in; i += block) weight_grad_block<V, NV, block, FULL>(xc, gc, dilation, k, i, dw);
      for (; i + 4 <= c_in; i += 4) weight_grad_block<V, NV, 4, FULL>(xc, gc, dilation, k, i, dw);
      for (; i < c_in; ++i) weight_grad_block<V, NV, 1, FULL>(xc, gc, dilation, k, i, dw);
    }
  }
}

#if defined(__AVX512F__)
// C_out = 8 floats on AVX-512, the forward's channel-pair layout (conv1d.cpp): the accumulator of
// tap k and input channels (2p, 2p+1) holds dW(o, k*C_in + 2p) in lane 2o and dW(o, k*C_in + 2p + 1)
// in lane 2o+1. Each step spreads dy's column as (dy(0), dy(0), dy(1), dy(1), ...) once, then every
// accumulator takes one FMA with an 8-byte broadcast of x's channel pair: full-width FMAs with no
// lane permute per FMA (the two-columns-per-vector kernel needed one and ran at half this speed).
// TAPS*PAIRS accumulators stay in registers for the whole signal, so x and dy are read once.
template <typename V, int TAPS, int PAIRS>
void weight_grad_channel_pairs(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  constexpr Index half = sizeof(V) / sizeof(Scalar) / 2, c_in = 2 * PAIRS;
  const Index t_out = dy.cols(), xs = x.outerStride(), gs = dy.outerStride();
  V acc[TAPS][PAIRS];
  for (int k = 0; k < TAPS; ++k)
    for (int p = 0; p < PAIRS; ++p) acc[k][p] = V{};
  const Scalar* xd = x.data();
  const Scalar* gd = dy.data();
  for (Index t = 0; t < t_out; ++t) {
    Vector32 column;  // half of V
    std::memcpy(&column, gd + t * gs, sizeof column);
    V g;
    if constexpr (half == 8)
      g = __builtin_shufflevector(column, column, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    else
      g = __builtin_shufflevector(column, column, 0, 0, 1, 1, 2, 2, 3, 3);
    for (int k = 0; k < TAPS; ++k) {
      const Scalar* xt = xd + (t + k * dilation) * xs;
      for (int p = 0; p < PAIRS; ++p) acc[k][p] += g * broadcast_pair(xt + 2 * p);
    }
  }
  for (int k = 0; k < TAPS; ++k)
    for (int p = 0; p < PAIRS; ++p) {
      V split;  // lanes [0, half): dW's column 2p, [half, 2 half): column 2p + 1
      if constexpr (half == 8)
        split = __builtin_shufflevector(acc[k][p], acc[k][p], 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
      else
        split = __builtin_shufflevector(acc[k][p], acc[k][p], 0, 2, 4, 6, 1, 3, 5, 7);
      for (int e = 0; e < 2; ++e) {
        Scalar* col = dw.col(k * c_in + 2 * p + e).data();
        for (Index o = 0; o < half; ++o) col[o] += split[e * half + o];
      }
    }
}
#endif

bool weight_grad_small(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  const Index c_out = dy.rows();
  constexpr Index lanes = kLanes;
#if defined(__AVX512F__)
  if (sizeof(Scalar) == 4 && c_out == lanes / 2) {
    const Index c_in = x.rows(), taps = conv1d_kernel_size(dw.cols(), c_in);
    if (c_in == 8 && taps == 3) return weight_grad_channel_pairs<Vector64, 3, 4>(x, dy, dilation, dw), true;
    if (c_in == 8 && taps == 1) return weight_grad_channel_pairs<Vector64, 1, 4>(x, dy, dilation, dw), true;
    if (c_in == 16 && taps == 1) return weight_grad_channel_pairs<Vector64, 1, 8>(x, dy, dilation, dw), true;
  }
#endif
  auto run = [&]<typename V, int NV>() {
    if (c_out == NV * Index(sizeof(V) / sizeof(Scalar)))
      weight_grad_columns<V, NV, true>(x, dy, dilation, dw);
    else
      weight_grad_columns<V, NV, false>(x, dy, dilation, dw);
  };
  if (c_out <= lanes / 2)
    run.template operator()<Vector32, 1>();
  else if (c_out <= lanes)
    run.template operator()<Vector64, 1>();
  else if (c_out <= 2 * lanes)
    run.template operator()<Vector64, 2>();
  else
    return false;
  return true;
}

// db += the row sums of dy, for C rows of one vector V: four column accumulators in registers.
// (Eigen's rowwise().sum() walks each row with a stride through a chain of dependent scalar adds.)
template <typename V>
void bias_grad_vector(const ConstMatRef& dy, MatRef& db) {
  const Index cols = dy.cols(), stride = dy.outerStride();
  const Scalar* g = dy.data();
  V acc[4] = {};
  Index t = 0;
  for (; t + 4 <= cols; t += 4)
    for (int j = 0; j < 4; ++j) {
      V column;
      std::memcpy(&column, g + (t + j) * stride, sizeof column);
      acc[j] += column;
    }
  for (; t < cols; ++t) {
    V column;
    std::memcpy(&column, g + t * stride, sizeof column);
    acc[0] += column;
  }
  const V sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (Index r = 0; r < dy.rows(); ++r) db(r, 0) += sum[r];
}

void bias_grad(const ConstMatRef& dy, MatRef& db) {
  if (dy.rows() == kLanes)
    bias_grad_vector<Vector64>(dy, db);
  else if (dy.rows() == kLanes / 2)
    bias_grad_vector<Vector32>(dy, db);
  else
    for (Index t = 0; t < dy.cols(); ++t) db.col(0) += dy.col(t);
}

}  // namespace

void conv1d_backward(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation, MatRef dx,
                     MatRef dw, MatRef db) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in), t_out = dy.cols();
  if (t_out == 0) return;
  const bool dx_done = dx.size() > 0 && input_grad_small(w, dy, dilation, dx);
  const bool dw_done = dw.size() > 0 && weight_grad_small(x, dy, dilation, dw);
  for (Index k = 0; k < taps; ++k) {
    if (dx.size() > 0 && !dx_done)
      dx.middleCols(k * dilation, t_out).noalias() += w.middleCols(k * c_in, c_in).transpose() * dy;
    if (dw.size() > 0 && !dw_done)
      dw.middleCols(k * c_in, c_in).noalias() += dy * x.middleCols(k * dilation, t_out).transpose();
  }
  if (db.size() > 0) bias_grad(dy, db);
}

}  // namespace namk
