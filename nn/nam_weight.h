// NAM's weight layout and the pack that turns it into our GEMM layout. The flat parameter buffer of
// every model is in NAM's export order and layout (PyTorch's: a conv weight (out, in, K) row-major,
// tap fastest; a dense weight (out, in) row-major), so .nam export/import is a straight copy.
// Kernels want (out, K*in) column-major, tap-major: training packs per forward with a
// differentiable op (a permutation of a few hundred numbers, negligible next to the convs);
// streaming packs once in prepare(). Nothing here allocates except the tape.
#pragma once

#include "core/tape.h"

namespace namk {

// src: NAM layout, out*in*K scalars, element (o, i, k) at (o*in + i)*K + k.
// dst: (out, K*in), dst(o, k*in + i) = src(o, i, k).
void nam_weight_pack(const Scalar* src, Index in, Index taps, MatRef dst);
// dsrc(o, i, k) += ddst(o, k*in + i): the backward of the pack, accumulating like every backward.
void nam_weight_pack_backward(ConstMatRef ddst, Index in, Index taps, Scalar* dsrc);

// The inverse of the pack: dst(o, i, k) = src(o, k*in + i). Bake writes folded weights back with it.
void nam_weight_unpack(ConstMatRef src, Index in, Index taps, Scalar* dst);

// A parameter in NAM layout seen as a (out, K*in) kernel weight on the tape. grad may be null (no
// gradient); otherwise backward accumulates into grad[0 .. out*in*K) in NAM layout.
Var nam_weight(Tape& t, const Scalar* value, Scalar* grad, Index out, Index in, Index taps);

// A vector parameter (a bias, an initial state): its layout is the same in NAM and here.
Var nam_vector(Tape& t, const Scalar* value, Scalar* grad, Index size);

}  // namespace namk
