// Differentiable ops on a Tape. Each op computes its output with a kernel and records a backward
// step that calls the matching _backward kernel; gradients flow only into inputs that track one.
// Broadcasting is deliberately narrow: a (C, 1) column against a (C, T) matrix (per-channel bias,
// FiLM), which is all the models need. Composites (gated activation, losses) are built from these.
#pragma once

#include "core/kernels/pointwise.h"
#include "core/tape.h"

namespace namk {

// Elementwise; b is either a's shape or a (rows, 1) column broadcast over a's columns.
Var add(Tape& t, Var a, Var b);
Var sub(Tape& t, Var a, Var b);
Var mul(Tape& t, Var a, Var b);

// a: (M, K)  b: (K, N)  ->  (M, N). A 1x1 convolution is matmul(w, x).
Var matmul(Tape& t, Var a, Var b);

// x: (C_in, T)  w: (C_out, K*C_in)  b: (C_out, 1) or Var{} for none  ->  (C_out, T - (K-1)*d)
Var conv1d(Tape& t, Var x, Var w, Var b, Index dilation);

Var activation(Tape& t, Activation a, Var x);
inline Var tanh(Tape& t, Var x) { return activation(t, Activation::Tanh, x); }
inline Var sigmoid(Tape& t, Var x) { return activation(t, Activation::Sigmoid, x); }
inline Var relu(Tape& t, Var x) { return activation(t, Activation::ReLU, x); }
inline Var leaky_relu(Tape& t, Var x) { return activation(t, Activation::LeakyReLU, x); }

// x: (C, T)  gamma, beta: (C, 1); beta = Var{} for scale-only FiLM.
Var film(Tape& t, Var x, Var gamma, Var beta);

// Columns [start, start + count) of x.
Var slice_time(Tape& t, Var x, Index start, Index count);
// The most recent n columns: how tensors of different lengths are right-aligned.
inline Var crop_last(Tape& t, Var x, Index n) { return slice_time(t, x, t.cols(x) - n, n); }
// Rows [start, start + count) of x.
Var slice_channels(Tape& t, Var x, Index start, Index count);
// Rows of a, then rows of b (same number of columns).
Var concat_channels(Tape& t, Var a, Var b);

// Reductions to a 1x1 node.
Var sum(Tape& t, Var x);
Var mean(Tape& t, Var x);

Var square(Tape& t, Var x);
Var scale(Tape& t, Var x, Scalar s);

// Elementwise natural log (x > 0) and absolute value (gradient sign(x), 0 at 0, as in PyTorch).
Var log(Tape& t, Var x);
Var abs(Tape& t, Var x);
// Frobenius norm to a 1x1 node; its gradient at a zero norm is 0 (PyTorch's convention), where
// sqrt(sum(square(x))) would give 0 * inf = NaN.
Var norm(Tape& t, Var x);

}  // namespace namk
