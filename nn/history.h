// The streaming history of one causal conv input: a linear ring buffer of R + max(R + max_block,
// 4R) columns (R = (K-1)*dilation). A block is written at pos and the conv reads [pos - R, pos + n)
// as one contiguous window, so the batch kernel (one GEMM per tap) serves streaming unchanged.
// When the end is reached the last R columns move to the front: that copy never overlaps itself,
// and with 4R columns after the first R it moves R columns once per 4R samples, a quarter of a
// column per sample. (With R + max_block there, the long dilations copied almost a column per
// sample: memmove was 5.6% of standard's streaming, 3.5% now, and standard streams 2.5% faster
// for about 0.5 MiB more history.)
#pragma once

#include <algorithm>
#include <cstring>

#include "core/scalar.h"

namespace namk {

class History {
 public:
  void prepare(Index channels, Index r, Index max_block) {
    r_ = r;
    buffer_.resize(channels, r + std::max(r + max_block, kSlackRatio * r));
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
  static constexpr Index kSlackRatio = 4;

  MatMap columns(Index start, Index n) const noexcept {
    // Columns of a column-major matrix are contiguous, so a window is a plain Map.
    return MatMap(const_cast<Scalar*>(buffer_.data()) + start * buffer_.rows(), buffer_.rows(), n);
  }

  Mat buffer_;
  Index r_ = 0, pos_ = 0;
};

}  // namespace namk
