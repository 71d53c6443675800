// conv1d_backward (see conv1d.h). For small channel counts both gradients avoid Eigen's GEMM, whose
// per-call packing of (16, T) operands cost as much as the arithmetic:
// - dx is itself a conv: dx(s) = sum_k W_k^T dy(s - k*d), i.e. the forward column kernel run over
//   dy with (K-1)*d zero columns on each side and the taps' transposes in reverse order; it adds
//   straight into dx through the kernel's residual term.
// - dW_k = sum_t dy(:, t) x(:, t + k*d)^T is a sum of outer products over time: a column kernel
//   keeps a block of dW_k's columns in registers while it streams over t.
// The kernels themselves are in conv1d_tuned.h; this file picks them by shape (or, with
// NAMK_TUNED_KERNELS OFF, calls the reference loops). Other shapes take one GEMM per tap. Padding
// and transposes go into per-thread scratch that only grows, so a training step allocates nothing
// after its first.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "core/kernels/conv1d.h"
#include "core/kernels/conv1d_tuned.h"
#include "core/kernels/conv1d_time_packed.h"
#include "core/kernels/tuned.h"
#include "core/scratch.h"

namespace namk {

namespace {

using namespace conv1d_tuned;

// y += conv(x, wt) for input_grad_small below (y: columns of dx, x: dy's, wt: the taps' transposes):
// the time-packed kernel where dx has 1 or 2 rows (conv1d_time_packed.h), else the small
// forward kernel with y as its residual. False when neither takes the shape.
bool input_grad_columns(const ConstMatRef& x, const ConstMatRef& wt, Index dilation, MatRef y) {
#if defined(__AVX512F__)
  if (sizeof(Scalar) == 4 && y.rows() <= 2 && x.outerStride() == x.rows() && y.outerStride() == y.rows() &&
      wt.cols() <= kPackedOutputMaxWeights) {
    bool done = false;
    auto shape = [&]<int COUT, int CIN>() {
      if (!done && y.rows() == COUT && x.rows() == CIN) {
        conv_packed_accumulate<COUT, CIN>(x, wt, dilation, y);
        done = true;
      }
    };
    shape.template operator()<2, 2>();
    shape.template operator()<2, 1>();
    shape.template operator()<2, 4>();
    shape.template operator()<1, 1>();
    shape.template operator()<1, 2>();
    if (done) return true;
  }
#endif
  return conv1d_forward_small(x, wt, empty_mat(), dilation, y, Conv1dExtras{empty_mat(), empty_mat(), y});
}

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
      return input_grad_columns(dy.middleCols(from - reach, n + reach), wt, dilation, dx.middleCols(from, n));
    MatMap pad = scratch_matrix(pad_buffer, c_out, n + reach);
    for (Index j = 0; j < n + reach; ++j) {
      const Index src = from - reach + j;
      if (src >= 0 && src < t_out)
        pad.col(j) = dy.col(src);
      else
        pad.col(j).setZero();
    }
    return input_grad_columns(pad, wt, dilation, dx.middleCols(from, n));
  };
  // The first non-empty call answers for the shape, which the later ones share (a kernel takes no
  // empty range: one tap has no left edge, and its input gradient went to the GEMMs while this
  // asked about an empty one).
  const Index total = t_out + reach, left = std::min(reach, total), interior_end = std::max(left, t_out);
  bool first = true;
  for (const auto& [start, count] :
       {std::pair{Index(0), left}, {left, interior_end - left}, {interior_end, total - interior_end}}) {
    if (count == 0) continue;
    if (!columns(start, count) && first) return false;
    first = false;
  }
  return true;
}

// The time-packed kernel (conv1d_time_packed.h) for the presets' narrow shapes: nano's 4
// and 2 channels (and their 1-row condition, 4 -> 2 and 2 -> 1), feather's 4 (and 8 -> 4), A2's
// 3. False for any other shape, or when x's or dy's columns are not contiguous.
#if defined(__AVX512F__)
bool weight_grad_packed_any(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  const Index c_out = dy.rows(), c_in = x.rows();
  if (x.outerStride() != c_in || dy.outerStride() != c_out) return false;
  bool done = false;
  auto shape = [&]<int COUT, int CIN>() {
    if (!done && c_out == COUT && c_in == CIN) {
      weight_grad_packed<COUT, CIN>(x, dy, dilation, dw);
      done = true;
    }
  };
  shape.template operator()<4, 4>();
  shape.template operator()<4, 1>();
  shape.template operator()<4, 2>();
  shape.template operator()<4, 8>();
  shape.template operator()<3, 3>();
  shape.template operator()<3, 1>();
  shape.template operator()<2, 2>();
  shape.template operator()<2, 1>();
  shape.template operator()<2, 4>();
  shape.template operator()<1, 1>();
  shape.template operator()<1, 2>();
  return done;
}
#endif

bool weight_grad_small(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  const Index c_out = dy.rows();
  constexpr Index lanes = kLanes;
#if defined(__AVX512F__)
  if (sizeof(Scalar) == 4 && c_out <= 4 && weight_grad_packed_any(x, dy, dilation, dw)) return true;
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

void bias_grad(const ConstMatRef& dy, MatRef& db) {
  if (dy.rows() <= kLanes / 2)
    bias_grad_vector<Vector32>(dy, db);
  else if (dy.rows() <= kLanes)
    bias_grad_vector<Vector64>(dy, db);
  else
    for (Index t = 0; t < dy.cols(); ++t) db.col(0) += dy.col(t);
}

}  // namespace

void conv1d_backward(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation, MatRef dx,
                     MatRef dw, MatRef db) {
  if constexpr (!kTunedKernels) return conv1d_backward_naive(x, w, dy, dilation, dx, dw, db);
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
