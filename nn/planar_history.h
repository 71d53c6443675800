// History (history.h) kept as planes: each channel's samples contiguous, for the time-major tiny
// layers (core/kernels/residual_layer_planar.h). The same linear ring buffer, of R + max(R +
// max_block, 4R) + kSlack samples per channel (whole vectors), plus kPlanarPad samples past the end that the
// kernel's last vector may run into (the plane stride leaves them between channels). Why the
// slack: A2's short layers (R = 5) wrapped at every block of 64, one small copy per channel and
// layer; with it they wrap once in some 300 samples, for 1 KiB more per plane (memmove 6.8% ->
// 4.6% of A2-lite's bench profile). Why 4R: nano's dilation-512 layers (R = 1024) copied almost a
// sample per sample with 2R + max_block; with 4R after the first R, a quarter. Writing starts at
// a whole vector's boundary (the first R samples end there, planes are whole vectors apart, and
// blocks of a multiple of 16 keep it), so a layer's stores and the next layer's newest tap are aligned
// vectors, not ones split over two cache lines: A2-lite 2% faster at block 16, 5% at block 64.

#pragma once

#include <algorithm>
#include <cstring>

#include "core/kernels/residual_layer_planar.h"

namespace namk {

class PlanarHistory {
 public:
  void prepare(Index channels, Index r, Index max_block) {
    r_ = r;
    start_ = round_up(r);
    length_ = round_up(start_ + std::max(r + max_block, kSlackRatio * r) + kSlack);
    buffer_.resize(length_ + kPlanarPad, channels);  // column-major: a column is a plane
    reset();
  }
  void reset() noexcept {
    buffer_.setZero();
    pos_ = start_;
  }
  // The planes to write the next n samples into (once per block, before window()).
  Planes next(Index n) noexcept {
    if (pos_ + n > length_) {
      // As History::next: the last R samples to the front, one copy per plane.
      for (Index c = 0; c < buffer_.cols(); ++c)
        std::memcpy(plane(c) + start_ - r_, plane(c) + pos_ - r_, static_cast<size_t>(r_) * sizeof(Scalar));
      pos_ = start_;
    }
    return {plane(0) + pos_, buffer_.rows()};
  }
  // The conv's input for the block just written: R samples of history then the n new ones.
  ConstPlanes window() const noexcept { return {plane(0) + pos_ - r_, buffer_.rows()}; }
  void advance(Index n) noexcept { pos_ += n; }

 private:
  static constexpr Index kSlack = 256;
  static constexpr Index kSlackRatio = 4;  // as History's: long reaches wrap once per 4R samples

  static Index round_up(Index n) noexcept { return (n + kPlanarPad - 1) / kPlanarPad * kPlanarPad; }
  Scalar* plane(Index c) const noexcept { return const_cast<Scalar*>(buffer_.data()) + c * buffer_.rows(); }

  Mat buffer_;
  Index r_ = 0, start_ = 0, length_ = 0, pos_ = 0;
};

}  // namespace namk
