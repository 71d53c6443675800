// Internal to the conv kernels (conv1d.cpp, conv1d_backward.cpp): the vector types, shape limits
// and the channel-pair broadcast that the small-channel forward and backward kernels share.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "core/kernels/register_width.h"
#include "core/scalar.h"

namespace namk::conv1d_small {

// GCC vector extensions, not intrinsics: the SSE2-only default build lowers a 64-byte vector to four
// SSE registers (correct, portable); with -march=native it is one AVX-512 register and `+= w * x`
// becomes one FMA with the scalar broadcast folded in.
typedef Scalar Vector64 __attribute__((vector_size(64)));
typedef Scalar Vector32 __attribute__((vector_size(32)));
constexpr Index kLanes = sizeof(Vector64) / sizeof(Scalar);  // 16 floats, 8 doubles

// The small path keeps the zero-padded weights on the stack: at most this many (tap, input channel)
// pairs, i.e. K*C_in (48 for the standard preset's K=3, C=16).
constexpr Index kMaxWeightCols = 128;
constexpr Index kMaxRows = 32;
// The side input (the input mixer's condition: the audio, plus the knobs for concat) is short.
constexpr Index kMaxSideRows = 16;

#if defined(__AVX512F__)
// The channel-pair kernels (C_out <= kLanes/2, AVX-512 only) keep input channels 2p and 2p+1 side
// by side in every lane pair: this loads (p[0], p[1]) into every pair of lanes (one 8-byte
// broadcast for floats).
template <typename S>
inline Vector64 broadcast_pair(const S* p) {
  if constexpr (sizeof(S) == 4) {
    typedef uint64_t Pairs __attribute__((vector_size(64)));
    uint64_t bits;
    std::memcpy(&bits, p, sizeof bits);
    const Pairs v = {bits, bits, bits, bits, bits, bits, bits, bits};
    return std::bit_cast<Vector64>(v);
  } else {
    return Vector64{p[0], p[1], p[0], p[1], p[0], p[1], p[0], p[1]};
  }
}
#endif

}  // namespace namk::conv1d_small
