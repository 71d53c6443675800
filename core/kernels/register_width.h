// The width of one SIMD register in this build, for the kernels written with GCC vector extensions
// (conv1d_tuned.h, fft.cpp): 64 bytes with AVX-512 (-DNAMK_NATIVE=ON on such a machine), 32 with
// AVX, 16 (SSE2, the portable default) otherwise.
#pragma once

namespace namk {

#if defined(__AVX512F__)
constexpr int kRegisterBytes = 64;
#elif defined(__AVX__)
constexpr int kRegisterBytes = 32;
#else
constexpr int kRegisterBytes = 16;
#endif

}  // namespace namk
