// Float tanh over contiguous arrays (see tanh_float.h), in one of two forms chosen by the build.
//
// With AVX-512 (-DNAMK_NATIVE=ON on such a machine): a piecewise quintic. |x| is cut into 32
// intervals of width 1/4 centred on 0, 1/4, ..., 31/4 (the last also serves every |x| past it);
// each interval has its own polynomial in t = |x| - centre, |t| <= 1/8, and the result takes
// x's sign. The six coefficients of all 32 intervals sit in twelve registers, and one two-register
// permute per coefficient picks each lane's: no division, no memory access per value. Adding 2^21
// to |x| rounds it to the nearest quarter (the float spacing there is 1/4) and leaves the
// interval's number in the sum's low mantissa bits, which is the permute's index.
// tanh_piecewise_reference below is the same steps for one value, in plain C++.
// The rational below spends twelve multiplies and a division per vector, and its long dependency
// chain kept few vectors in flight: the quintic takes about three quarters of its time (a
// microbenchmark, 16 floats per vector, on the Intel Xeon of session 20: 4.8 -> 3.6 ns), and
// streaming the standard preset runs 6% faster.
//
// Otherwise: Eigen's generic_fast_tanh_float, a 13/6 odd/even rational fit, inputs clamped to
// +-7.9053 (where it reaches 1), tanh(x) = x below 4e-4. GCC vector extensions make it SSE2 in
// the portable build and AVX with -march=native on an AVX machine.
//
// Accuracy against std::tanh in double, over every 7th float in [0, 16] (test_pointwise.cpp
// checks every 97th): the quintic 2.4e-7 absolute and relative (its value at 7.875 and beyond is
// the float 1 - 2^-22), exactly x for |x| < 1e-4 (the centre interval's linear coefficient rounds
// to 1 and it has no even terms); the rational 3.8e-7 with SSE2 and 2.8e-7 with FMA. Both are
// odd, bounded by 1, pass a NaN through, and give each element the same bits wherever it sits in
// the array.
#include "core/kernels/tanh_float.h"

#include "core/kernels/tanh_vector.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace namk {

namespace {

typedef float Float16 __attribute__((vector_size(64)));

constexpr double kWidth = 0.25;

// coefficient[j][k]: t^j's coefficient for interval k.
struct TanhTable {
  alignas(64) float coefficient[kTanhCoefficients][kTanhIntervals];
};

// Each interval's polynomial interpolates std::tanh (in double) at the six Chebyshev nodes of
// [-1/8, 1/8] around its centre: within a small factor of the best quintic there, and the float
// rounding of the coefficients and of the evaluation dominates the error. Newton's divided
// differences give the interpolant, expanded into powers of t. The centre interval is odd: its
// even coefficients are rounding noise around 0 and are set to 0, so tanh(-x) = -tanh(x) and
// tanh(0) = 0 exactly.
TanhTable make_tanh_table() {
  TanhTable table{};
  constexpr int n = kTanhCoefficients;
  for (int k = 0; k < kTanhIntervals; ++k) {
    double node[n], diff[n];
    for (int i = 0; i < n; ++i) {
      node[i] = kWidth / 2 * std::cos(M_PI * (i + 0.5) / n);
      diff[i] = std::tanh(k * kWidth + node[i]);
    }
    for (int order = 1; order < n; ++order)
      for (int i = n - 1; i >= order; --i) diff[i] = (diff[i] - diff[i - 1]) / (node[i] - node[i - order]);
    // p(t) = diff[0] + (t - node[0]) (diff[1] + (t - node[1]) (diff[2] + ...)), from the inside out.
    double power[n] = {diff[n - 1]};
    for (int i = n - 2; i >= 0; --i) {
      for (int j = n - 1; j > 0; --j) power[j] = power[j - 1] - node[i] * power[j];
      power[0] = diff[i] - node[i] * power[0];
    }
    for (int j = 0; j < n; ++j) table.coefficient[j][k] = (k == 0 && j % 2 == 0) ? 0.f : float(power[j]);
  }
  return table;
}

const TanhTable kTanhTable = make_tanh_table();

#if defined(__AVX512F__)

// tanh_vector.h's registers and steps, shared with the kernels that apply tanh in registers.
using TanhRegisters = tanh_vector::Registers;
TanhRegisters load_registers() { return tanh_vector::registers(); }
inline void tanh16(Float16& v, const TanhRegisters& table) { v = tanh_vector::tanh16(v, table); }

#else

struct TanhRegisters {};
TanhRegisters load_registers() { return {}; }

// In place by reference: passing a 64-byte vector by value warns (-Wpsabi) in the SSE2 build.
inline void tanh16(Float16& v, const TanhRegisters&) {
  const Float16 a = v;
  const float clamp = 7.90531110763549805f;
  const Float16 x = a < -clamp ? -clamp : (a > clamp ? clamp : a);
  const Float16 x2 = x * x;
  Float16 p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  Float16 q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  v = a * a < 0.0004f * 0.0004f ? a : p / q;
}

#endif

}  // namespace

const float* tanh_piecewise_coefficients() { return &kTanhTable.coefficient[0][0]; }

float tanh_piecewise_reference(float x) {
  const float ax = std::min(std::abs(x), kTanhLastInput);
  const float rounded = ax + kTanhRounder;
  uint32_t bits;
  std::memcpy(&bits, &rounded, sizeof bits);
  const int k = static_cast<int>(bits % kTanhIntervals);
  const float t = ax - (rounded - kTanhRounder);
  const float t2 = t * t;
  const auto& c = kTanhTable.coefficient;
  const float low = std::fma(c[1][k], t, c[0][k]);
  const float mid = std::fma(c[3][k], t, c[2][k]);
  const float high = std::fma(c[5][k], t, c[4][k]);
  return std::copysign(std::fma(std::fma(high, t2, mid), t2, low), x);
}

// The tail goes through the same vector code on a zero-padded copy, so each element's result does
// not depend on where it sits in the array. The table is loaded into registers once per call: read
// from the global in the loop, it would be reloaded after every store (y may alias any float).
// ADD: also sum = add + y (tanh_array_add), while y is still in a register.
namespace {
template <bool ADD>
void tanh_loop(const float* x, float* y, const float* add, float* sum, Index n) {
  constexpr Index lanes = 16;
  const TanhRegisters table = load_registers();
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    Float16 v;
    std::memcpy(&v, x + i, sizeof v);
    tanh16(v, table);
    std::memcpy(y + i, &v, sizeof v);
    if constexpr (ADD) {
      Float16 a;
      std::memcpy(&a, add + i, sizeof a);
      a += v;
      std::memcpy(sum + i, &a, sizeof a);
    }
  }
  if (i < n) {
    const auto rest = static_cast<size_t>(n - i) * sizeof(float);
    Float16 v = {};
    std::memcpy(&v, x + i, rest);
    tanh16(v, table);
    std::memcpy(y + i, &v, rest);
    if constexpr (ADD) {
      Float16 a = {};
      std::memcpy(&a, add + i, rest);
      a += v;
      std::memcpy(sum + i, &a, rest);
    }
  }
}

}  // namespace

void tanh_array(const float* x, float* y, Index n) { tanh_loop<false>(x, y, nullptr, nullptr, n); }

void tanh_array_add(const float* x, float* y, const float* add, float* sum, Index n) {
  tanh_loop<true>(x, y, add, sum, n);
}

}  // namespace namk
