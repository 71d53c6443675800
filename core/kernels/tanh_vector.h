// tanh_array's AVX-512 form (tanh_float.cpp's piecewise quintic) on one vector of 16 floats
// already in registers, for kernels that apply tanh between two steps of their own: the planar
// residual layer (residual_layer_planar.cpp) takes z from its accumulators to the 1x1 without a
// store, a call and a reload per layer and block. Each lane gets tanh_array's bits for that value
// (and tanh_piecewise_reference's) with AVX-512, where kTanhPiecewise holds. Other builds (double,
// or without AVX-512: the kernels run there in their tests only) get tanh_lanes through the
// activation's own array loop, the same bits as the training graph by construction.
// Internal linkage, as residual_layer_tiny.h: a 64-byte vector crosses only functions of one file.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/kernels/pointwise.h"
#include "core/kernels/tanh_float.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

// Without AVX-512 a 64-byte vector is passed differently from AVX-512 code: harmless here, where
// everything has internal linkage.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace namk::tanh_vector {
namespace {

typedef float Float16 __attribute__((vector_size(64)));

// tanh of every lane of z in place, in the build's form (see above); table from registers(). In
// place, not by value: a template is instantiated at the end of its file, past the caller's
// -Wpsabi pragma, and a vector passed by value without AVX-512 would warn there.
template <typename Vector, typename Table>
void tanh_lanes(Vector& z, const Table&) {
  constexpr Index lanes = sizeof(Vector) / sizeof(Scalar);
  Scalar v[lanes];
  std::memcpy(v, &z, sizeof v);
  activation_forward_views(Activation::Tanh, ConstMatView(v, 1, lanes, 1), MatView(v, 1, lanes, 1));
  std::memcpy(&z, v, sizeof v);
}

#if !defined(__AVX512F__)
struct Registers {};
inline const float* table() { return nullptr; }
inline Registers registers(const float*) { return {}; }
inline Registers registers() { return {}; }
#else

typedef int32_t Int16 __attribute__((vector_size(64)));

// The six coefficients' 32 intervals in twelve registers: each coefficient's in two.
struct Registers {
  Float16 coefficient[kTanhCoefficients][2];
};

// The coefficients' address: a call into another file, so made once per kernel call (a call inside
// a loop of vector code makes the compiler save every vector register around it).
inline const float* table() { return tanh_piecewise_coefficients(); }

// Loaded once per call of a kernel, or once per group of vectors where the kernel needs the
// registers for other things between its tanhs (residual_layer_planar.cpp): read from the table at
// each use, they would be reloaded after every store the compiler cannot tell apart from the table
// (any float store).
inline Registers registers(const float* table) {
  Registers r;
  for (int j = 0; j < kTanhCoefficients; ++j)
    for (int half = 0; half < 2; ++half)
      std::memcpy(&r.coefficient[j][half], table + j * kTanhIntervals + 16 * half, sizeof(Float16));
  return r;
}
inline Registers registers() { return registers(table()); }

// t^j's coefficient for each lane's interval: vpermt2ps reads the index's low 5 bits, 0-15 from
// the first register and 16-31 from the second. (An intrinsic, not g++'s __builtin_shuffle, so
// that clang builds it too.)
inline Float16 pick(const Float16 (&halves)[2], const Int16& interval) {
  return reinterpret_cast<Float16>(_mm512_permutex2var_ps(reinterpret_cast<__m512>(halves[0]),
                                                          reinterpret_cast<__m512i>(interval),
                                                          reinterpret_cast<__m512>(halves[1])));
}

// tanh_piecewise_reference's steps, sixteen lanes at a time; the same bits.
inline Float16 tanh16(const Float16& x, const Registers& table) {
  const Float16 magnitude_x = reinterpret_cast<Float16>(reinterpret_cast<Int16>(x) & int32_t(0x7fffffff));
  // min(|x|, kTanhLastInput) as one vminps, with |x| second: vminps returns its second operand
  // when either is NaN, so a NaN passes through as it does in the reference. (GCC made three
  // instructions of the same ternary in vector code; vrangeps, one instruction for both steps,
  // returns the number when the other operand is NaN and turned a NaN into 1.)
  // (The zero-masking form with every lane kept is the same vminps: the plain intrinsic's
  // "undefined" passthrough trips GCC 12's -Wuninitialized once inlined into some callers.)
  const Float16 ax = reinterpret_cast<Float16>(
      _mm512_maskz_min_ps(__mmask16(0xffff), _mm512_set1_ps(kTanhLastInput), reinterpret_cast<__m512>(magnitude_x)));
  const Float16 rounded = ax + kTanhRounder;
  const Int16 interval = reinterpret_cast<Int16>(rounded);  // low 5 bits: the nearest centre's number
  // t = |x| minus its nearest quarter: the reference's two exact subtractions, or with AVX-512DQ one
  // vreduceps (keep 2 fraction bits, round to nearest even, as the add above rounds), which takes
  // |x| itself rather than the sum and so runs beside the add: 4 cycles off every tanh's chain of
  // about 30, and one instruction less. The same value (every step is exact), NaN's payload too.
#if defined(__AVX512DQ__)
  const Float16 t = reinterpret_cast<Float16>(_mm512_reduce_ps(reinterpret_cast<__m512>(ax), 0x28));
#else
  const Float16 t = ax - (rounded - kTanhRounder);
#endif
  // Estrin's scheme: three short chains instead of Horner's one of five, so more vectors overlap.
  // Fused multiply-adds by name, as the reference's std::fma: `a * b + c` is fused only where the
  // compiler contracts it (g++ at -O2 and above), and the sanitizer build's -O1 gave other bits.
  const auto fma = [](const Float16& a, const Float16& b, const Float16& c) {
    return reinterpret_cast<Float16>(_mm512_fmadd_ps(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b),
                                                     reinterpret_cast<__m512>(c)));
  };
  const Float16 t2 = t * t;
  const Float16 low = fma(pick(table.coefficient[1], interval), t, pick(table.coefficient[0], interval));
  const Float16 mid = fma(pick(table.coefficient[3], interval), t, pick(table.coefficient[2], interval));
  const Float16 high = fma(pick(table.coefficient[5], interval), t, pick(table.coefficient[4], interval));
  const Float16 magnitude = fma(fma(high, t2, mid), t2, low);
  const Int16 sign = reinterpret_cast<Int16>(x) & int32_t(0x80000000u);
  return reinterpret_cast<Float16>(reinterpret_cast<Int16>(magnitude) | sign);
}

// Sixteen floats: the quintic itself (preferred over the template above, an exact match).
inline void tanh_lanes(Float16& z, const Registers& table) { z = tanh16(z, table); }

#endif

}  // namespace
}  // namespace namk::tanh_vector

#pragma GCC diagnostic pop
