// Between columns (a (rows, n) block, one time step's channels contiguous, as the training graph and
// the column kernels keep them) and planes (each channel's time steps contiguous, as the planar
// kernels of residual_layer_planar.h read them): streaming's planar layer arrays convert their
// inputs (the array's input, the condition, the head input) once per block and their output back.
// A pure copy: every value arrives unchanged, so which form runs never changes a bit.
// Why a kernel: standard's second array converts 16 + 8 + 1 rows a sample. Element by element that
// was about 4% of its streaming at block 64 (a load and a store per value, the row's stride in
// between); with AVX-512, sixteen time steps are loaded as sixteen columns and turned round in
// registers (16x16 transposes of four shuffle steps), about a quarter of a cycle a value. Two and
// four contiguous rows (nano's arrays) are interleaved or picked apart with a few two-source
// permutes per 16 steps, one row is a plain copy: nano streamed 8% faster at block 16 and 11% at 64.
#pragma once

#include "core/kernels/residual_layer_planar.h"

namespace namk {

// p.row(r)[t] = m[t * stride + r] for r < rows, t < n. rows <= 16, stride >= rows. Writes nothing
// past n in p (the planes' padding is left alone) and reads nothing past column n - 1 of m.
void columns_to_planes(const Scalar* m, Index stride, Index rows, Planes p, Index n) noexcept;

// m[t * stride + r] = p.row(r)[t] for r < rows, t < n. rows <= 16, stride >= rows. Writes only
// those values of m (rows past `rows` in a column are left alone).
void planes_to_columns(ConstPlanes p, Index rows, Scalar* m, Index stride, Index n) noexcept;

// The readable forms (element by element), which the fast ones are tested against.
void columns_to_planes_reference(const Scalar* m, Index stride, Index rows, Planes p, Index n) noexcept;
void planes_to_columns_reference(ConstPlanes p, Index rows, Scalar* m, Index stride, Index n) noexcept;

}  // namespace namk
