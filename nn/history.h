// The streaming history of one causal conv input: a linear ring buffer of 2*R + max_block columns
// (R = (K-1)*dilation). A block is written at pos and the conv reads [pos - R, pos + n) as one
// contiguous window, so the batch kernel (one GEMM per tap) serves streaming unchanged. When the
// end is reached the last R columns move to the front: with 2*R + max_block columns that copy
// never overlaps itself and happens at most once per R samples, O(1) per sample amortised.
#pragma once

#include <cstring>

#include "core/scalar.h"

namespace namk {

class History {
 public:
  void prepare(Index channels, Index r, Index max_block) {
    r_ = r;
    buffer_.resize(channels, 2 * r + max_block);
    reset();
  }
  void reset() noexcept {
    buffer_.setZero();
    pos_ = r_;
  }
  // The columns to write the next n samples into (call once per block, before window()).
  MatMap next(Index n) noexcept {
    if (pos_ + n > buffer_.cols()) {
      // Whole columns are one contiguous run: one plain copy. Small dilations wrap at almost every
      // block, and Eigen's block assignment cost more than the few columns it moved.
      std::memcpy(buffer_.data(), buffer_.data() + (pos_ - r_) * buffer_.rows(),
                  static_cast<size_t>(r_ * buffer_.rows()) * sizeof(Scalar));
      pos_ = r_;
    }
    return columns(pos_, n);
  }
  // The block just written, for residual connections.
  ConstMatMap current(Index n) const noexcept { return ConstMatMap(columns(pos_, n).data(), buffer_.rows(), n); }
  // The conv's input for the block just written: R columns of history then the n new ones.
  ConstMatMap window(Index n) const noexcept {
    return ConstMatMap(columns(pos_ - r_, r_ + n).data(), buffer_.rows(), r_ + n);
  }
  void advance(Index n) noexcept { pos_ += n; }

 private:
  MatMap columns(Index start, Index n) const noexcept {
    // Columns of a column-major matrix are contiguous, so a window is a plain Map.
    return MatMap(const_cast<Scalar*>(buffer_.data()) + start * buffer_.rows(), buffer_.rows(), n);
  }

  Mat buffer_;
  Index r_ = 0, pos_ = 0;
};

}  // namespace namk
