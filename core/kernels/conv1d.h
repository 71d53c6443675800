// Dilated causal 1-D convolution, "valid": y has (K-1)*d fewer columns than x.
// Weight layout: w is (C_out, K*C_in), tap k in columns [k*C_in, (k+1)*C_in). Output column t reads
// input columns t + k*d, so tap k multiplies x[t' - (K-1-k)*d] for the output's own time t' (NAM's
// convention). Grouped convs are left out (no model uses them). The _naive kernels
// (conv1d_reference.cpp) loop over every sample: read them first; they are the test oracle and, with
// NAMK_TUNED_KERNELS OFF, the only path. The tuned ones (conv1d_tuned.h: column and channel-pair
// kernels for small channel counts, one GEMM per tap otherwise) must agree with them to rounding.
// Backward kernels accumulate (+=).
#pragma once

#include "core/kernels/mat_view.h"
#include "core/scalar.h"

namespace namk {

// x: (C_in, T_in)  w: (C_out, K*C_in)  b: (C_out, 1) or empty  y: (C_out, T_in - (K-1)*d)
// C_out <= 32 (and K*C_in <= 128) takes a column kernel whose output for a time step is
// bit-identical whatever T is (so streaming at any block size equals the training forward exactly);
// other shapes take conv1d_forward_generic, one GEMM per tap.
void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y);
void conv1d_forward_generic(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y);

// Two terms a WaveNet layer adds to a conv, computed in the same pass over each column (so the
// streaming and training paths, which both call this, agree bit for bit at any block size):
//   y = residual + (b + conv(x) + side_weight * side)
// side: (C_side, T_out), a second input with one tap (the input mixer's condition), side_weight:
// (C_out, C_side); residual: (C_out, T_out). Either may be empty. y must not alias them.
// packed: this conv's weights as conv1d_pack laid them out, or null (see there).
struct Conv1dExtras {
  ConstMatRef side = empty_mat();
  ConstMatRef side_weight = empty_mat();
  ConstMatRef residual = empty_mat();
  const Scalar* packed = nullptr;
};
void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                    const Conv1dExtras& extras);
// The same with every Ref by reference, for callers that already hold them (the fused layer's
// tiles): a Ref passed by value is rebuilt in the callee's frame at every call, which at streaming's
// short blocks is a cost per block, not per sample.
void conv1d_forward_refs(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b, Index dilation, MatRef& y,
                         const Conv1dExtras& extras);
// Streaming's form of the same: every argument a plain view (mat_view.h), so a block's call builds
// no Eigen Ref. The same dispatch and the same kernels, so the same bits.
struct Conv1dViewExtras {
  ConstMatView side, side_weight, residual;
  const Scalar* packed = nullptr;
};
void conv1d_forward_views(const ConstMatView& x, const ConstMatView& w, const ConstMatView& b, Index dilation,
                          const MatView& y, const Conv1dViewExtras& extras);
// A conv's weights (w, b, the side weight) laid out once in the order of the kernel conv1d_forward
// picks for them, where that kernel would lay them out again on every call: the channel-pair
// kernel (C_out up to half a vector, AVX-512 floats), whose interleaving was a third of its time
// at streaming's block 16, and the column kernel's zero-padded short columns (C_out past half a
// vector and short of a whole one: lite's 12 channels), a sixth of its time there. packed is resized (to nothing where no such kernel applies, so its data
// is then null; to the same size, without allocating). Streaming passes packed.data() as
// Conv1dExtras::packed along with the same w, b and side weight, and refreshes it whenever they
// change (FiLM's fold). The kernel copies the same vectors it would have built: the same bits.
void conv1d_pack(const ConstMatRef& w, const ConstMatRef& b, const ConstMatRef& side_weight, Index c_in, Mat& packed);
// The small-channel kernel alone: false (having done nothing) when the shape is not small. Unlike
// conv1d_forward, y may alias extras.residual: each column reads its residual before writing.
bool conv1d_forward_small(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                          const Conv1dExtras& extras);

// dy: like y. dx, dw, db: like x, w, b; any may be empty (size 0) to skip that gradient.
void conv1d_backward(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation, MatRef dx,
                     MatRef dw, MatRef db);

void conv1d_forward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y);
// With the extras, in the same order as the tuned kernels; y may alias extras.residual.
void conv1d_forward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                          const Conv1dExtras& extras);
void conv1d_backward_naive(ConstMatRef x, ConstMatRef w, ConstMatRef dy, Index dilation,
                           MatRef dx, MatRef dw, MatRef db);

// Number of taps K of a weight for C_in input channels.
inline Index conv1d_kernel_size(Index w_cols, Index c_in) { return w_cols / c_in; }

}  // namespace namk
