// Per-sample kernels: activations and FiLM (feature-wise scale and shift).
// Activations read x and write y of the same shape (y may alias x for in-place streaming). Their
// backward takes both x and y because tanh and sigmoid are cheapest from y, relu-like ones from x.
// FiLM: y = gamma ⊙ x + beta with one gamma and beta per channel, broadcast over time.
#pragma once

#include <string>

#include "core/kernels/mat_view.h"
#include "core/scalar.h"

namespace namk {

enum class Activation { Identity, Tanh, Sigmoid, ReLU, LeakyReLU, Hardtanh, SiLU, Softsign };

// NAM's activation names ("Tanh", "ReLU", "LeakyReLU", "Sigmoid", "Hardtanh", "SiLU"...).
// Throws UsageError naming the unknown name and the accepted ones.
Activation activation_from_name(const std::string& name);
std::string activation_name(Activation a);

// LeakyReLU's slope for negative inputs (PyTorch's default, which NAM uses).
constexpr double kLeakyReluSlope = 0.01;

// x, y: (C, T)
void activation_forward(Activation a, ConstMatRef x, MatRef y);
// The same over views (streaming's per-block path, see mat_view.h): contiguous tanh and LeakyReLU go
// straight to their array loops, the rest through the Ref path; the same bits either way.
void activation_forward_views(Activation a, const ConstMatView& x, const MatView& y);
// y = tanh(x) and sum = add + y over n contiguous values in one pass (a WaveNet layer's activation
// and its skip sum, whose second pass read y back): the bits of activation_forward's tanh followed
// by the addition. add may be sum; y may be x.
void tanh_add(const Scalar* x, Scalar* y, const Scalar* add, Scalar* sum, Index n);
// dx += f'(x) ⊙ dy
void activation_backward(Activation a, ConstMatRef x, ConstMatRef y, ConstMatRef dy, MatRef dx);
// dx = f'(x) ⊙ dy: for a fused op's scratch gradient, which then needs no zeroing first.
void activation_gradient(Activation a, ConstMatRef x, ConstMatRef y, ConstMatRef dy, MatRef dx);
// Whether activation_backward / activation_gradient read x; when not (identity, tanh, sigmoid:
// their derivative is a function of y), x may be any matrix of the right shape and an op need not
// keep its activation's input for the backward.
bool activation_gradient_reads_input(Activation a);

// x: (C, T)  gamma, beta: (C, 1), beta may be empty (scale-only FiLM)  y: (C, T), may alias x
void film_forward(ConstMatRef x, ConstMatRef gamma, ConstMatRef beta, MatRef y);
// The same on raw columns (beta null: scale only), which film_forward unpacks its Refs into. For
// streaming's FiLM in place, which holds maps: four Refs built per block cost an LSTM-16 1.5% of
// its block 16.
void film_columns(const Scalar* x, Index x_stride, const Scalar* gamma, const Scalar* beta, Index rows, Index cols,
                  Scalar* y, Index y_stride);
// dx, dgamma, dbeta: accumulated; any may be empty to skip it
void film_backward(ConstMatRef x, ConstMatRef gamma, ConstMatRef dy, MatRef dx, MatRef dgamma,
                   MatRef dbeta);

}  // namespace namk
