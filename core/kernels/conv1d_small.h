// Internal to the conv kernels (conv1d.cpp, conv1d_backward.cpp): the vector types, shape limits
// and lane tables that the small-channel forward and backward kernels share.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/scalar.h"

namespace namk::conv1d_small {

// GCC vector extensions, not intrinsics: the SSE2-only default build lowers a 64-byte vector to four
// SSE registers (correct, portable); with -march=native it is one AVX-512 register and `+= w * x`
// becomes one FMA with the scalar broadcast folded in.
typedef Scalar Vector64 __attribute__((vector_size(64)));
typedef Scalar Vector32 __attribute__((vector_size(32)));
constexpr Index kLanes = sizeof(Vector64) / sizeof(Scalar);  // 16 floats, 8 doubles

#if defined(__AVX512F__)
constexpr int kRegisterBytes = 64;
#elif defined(__AVX__)
constexpr int kRegisterBytes = 32;
#else
constexpr int kRegisterBytes = 16;
#endif

// The small path keeps the zero-padded weights on the stack: at most this many (tap, input channel)
// pairs, i.e. K*C_in (48 for the standard preset's K=3, C=16).
constexpr Index kMaxWeightCols = 128;
constexpr Index kMaxRows = 32;
// The side input (the input mixer's condition: the audio, plus the knobs for concat) is short.
constexpr Index kMaxSideRows = 16;

// The paired-column kernels hold two time steps in one vector (lanes [0, kLanes/2) and
// [kLanes/2, kLanes)). pair_lanes()[i] permutes two adjacent columns of a kLanes/2-row matrix into
// (x(i, t) in the low half, x(i, t+1) in the high half), for __builtin_shuffle.
typedef std::conditional_t<sizeof(Scalar) == 4, int32_t, int64_t> Lane;
typedef Lane Indices64 __attribute__((vector_size(64)));
struct PairLanes {
  Indices64 lane[kLanes / 2];
  PairLanes() {
    for (Index i = 0; i < kLanes / 2; ++i)
      for (Index l = 0; l < kLanes; ++l) lane[i][l] = static_cast<Lane>(l < kLanes / 2 ? i : kLanes / 2 + i);
  }
};
inline const Indices64* pair_lanes() {
  static const PairLanes table;
  return table.lane;
}

}  // namespace namk::conv1d_small
