// Per-thread scratch for backward passes: a buffer that only grows, seen as a (rows, cols) matrix,
// so a training step allocates nothing after its first. Callers keep it thread_local.
#pragma once

#include <vector>

#include "core/scalar.h"

namespace namk {

inline MatMap scratch_matrix(std::vector<Scalar>& buffer, Index rows, Index cols) {
  if (buffer.size() < static_cast<size_t>(rows * cols)) buffer.resize(static_cast<size_t>(rows * cols));
  return MatMap(buffer.data(), rows, cols);
}

}  // namespace namk
