// Internal to the tape ops (ops.cpp, nn/layers/residual_layer_op.cpp, nn/layers/lstm_op.cpp): the gradient bookkeeping they share.
#pragma once

#include "core/tape.h"

namespace namk::op_util {

inline bool tracks(const Tape& t, Var v) { return v.valid() && t.requires_grad(v); }

// A gradient view, or an empty one when no gradient flows to v (kernels then skip it).
inline MatMap grad_or_empty(Tape& t, Var v) { return tracks(t, v) ? t.grad(v) : empty_mat(); }

}  // namespace namk::op_util
