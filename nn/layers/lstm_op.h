// A fused LSTM layer over a whole sequence: kernel forward/backward and the tape op. Fusing keeps
// the tape to one record per layer instead of ~10 per time step, and lets the input projection be
// one GEMM over all T. PyTorch's gate order (i, f, g, o) and a single combined bias, as NAM.
// Kernels are shared by training and streaming (streaming passes its carried state as h0, c0).
#pragma once

#include "core/tape.h"

namespace namk {

// x: (I, T)  w: (4H, I+H) = [W_ih | W_hh]  b, h0, c0: (4H,1), (H,1), (H,1)
// y: (H, T) hidden states; gates: (4H, T) post-activation gates; c: (H, T) cell states.
// gates and c are what the backward needs; streaming passes scratch for them.
void lstm_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, ConstMatRef h0, ConstMatRef c0,
                  MatRef y, MatRef gates, MatRef c);
// lstm_forward's readable form, element by element; lstm_forward takes a vector form for hidden
// sizes of whole 16-float vectors on AVX-512, which gives these bits (tested).
void lstm_forward_reference(ConstMatRef x, ConstMatRef w, ConstMatRef b, ConstMatRef h0, ConstMatRef c0,
                            MatRef y, MatRef gates, MatRef c);
// Accumulates into dx, dw, db, dh0, dc0 (any may be empty). dy: (H, T).
void lstm_backward(ConstMatRef x, ConstMatRef w, ConstMatRef h0, ConstMatRef c0, ConstMatRef y,
                   ConstMatRef gates, ConstMatRef c, ConstMatRef dy, MatRef dx, MatRef dw,
                   MatRef db, MatRef dh0, MatRef dc0);

// The gates' sigmoid, as (1 + tanh(x / 2)) / 2 with the build's tanh (tanh_array: on AVX-512 floats
// the piecewise quintic, 2.4e-7 from the true tanh), in place allowed. Why not 1 / (1 + exp(-x)):
// each LSTM step waits on its gates, and the exponential's chain and a division per vector made
// the step several times longer than the quintic's. Within 2e-7 of the true sigmoid (tested).
void lstm_gate_sigmoid(const Scalar* x, Scalar* y, Index n);

// The tape op. state: (6H, 1) = [b; h0; c0], the layout NAM stores after each layer's weight.
// Returns y: (H, T).
Var lstm(Tape& t, Var x, Var w, Var state);

}  // namespace namk
