// The model's flat buffers as a layer's training forward sees them: the parameter values and the
// gradient accumulator (null: no parameter gradient). Layers keep the offsets of their views in the
// ParamLayout (nn/param_layout.h); this turns such an offset into a tape node.
#pragma once

#include "core/tape.h"
#include "nn/nam_weight.h"

namespace namk {

struct ParamBuffers {
  const Scalar* values = nullptr;
  Scalar* grad = nullptr;

  // A conv or dense weight in NAM layout (out, in, taps), as the kernels' (out, taps*in).
  Var weight(Tape& t, Index offset, Index out, Index in, Index taps) const {
    return nam_weight(t, values + offset, grad ? grad + offset : nullptr, out, in, taps);
  }
  // A bias or state vector (size, 1).
  Var vector(Tape& t, Index offset, Index size) const {
    return nam_vector(t, values + offset, grad ? grad + offset : nullptr, size);
  }
};

}  // namespace namk
