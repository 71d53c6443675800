// See planes_transpose.h.
#include "core/kernels/planes_transpose.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace namk {

namespace {

// Up to this many rows the element-by-element copy (rows a compile-time constant, a few moves a
// column) is as fast as a transpose, whose 64 shuffles per 16 time steps do not depend on the rows.
constexpr Index kCopyRows = 4;

// Calls f(r, t) for every row r < rows of every column t in [from, n). Up to 4 rows the count is a
// compile-time constant, so each column is a few moves rather than a loop.
template <typename F>
void each_value(Index rows, Index from, Index n, F f) noexcept {
  auto fixed = [&]<int R>() {
    for (Index t = from; t < n; ++t)
      for (int r = 0; r < R; ++r) f(r, t);
  };
  switch (rows) {
    case 1: return fixed.template operator()<1>();
    case 2: return fixed.template operator()<2>();
    case 3: return fixed.template operator()<3>();
    case 4: return fixed.template operator()<4>();
    default:
      for (Index t = from; t < n; ++t)
        for (Index r = 0; r < rows; ++r) f(r, t);
  }
}

#if defined(__AVX512F__)
// The zero-masking forms with every lane kept: the same instructions as the plain intrinsics, whose
// "undefined" passthrough GCC 12 reports as used uninitialised (-Werror) in the native sanitizer
// build (-O1), as tanh_vector.h's vminps.
constexpr __mmask16 kAll16 = 0xffff;
constexpr __mmask8 kAll8 = 0xff;
[[maybe_unused]] inline __m512 unpack_lo32(__m512 a, __m512 b) { return _mm512_maskz_unpacklo_ps(kAll16, a, b); }
[[maybe_unused]] inline __m512 unpack_hi32(__m512 a, __m512 b) { return _mm512_maskz_unpackhi_ps(kAll16, a, b); }
[[maybe_unused]] inline __m512 unpack_lo64(__m512 a, __m512 b) {
  return _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, _mm512_castps_pd(a), _mm512_castps_pd(b)));
}
[[maybe_unused]] inline __m512 unpack_hi64(__m512 a, __m512 b) {
  return _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, _mm512_castps_pd(a), _mm512_castps_pd(b)));
}
template <int IMM>
[[maybe_unused]] inline __m512 shuffle_quarters(__m512 a, __m512 b) {
  return _mm512_maskz_shuffle_f32x4(kAll16, a, b, IMM);
}

// v[i] lane j becomes v[j] lane i. Each step halves the distance between the values that end up
// side by side: 32-bit pairs, 64-bit pairs, then 128-bit quarters twice. (Unused in the double
// build, hence maybe_unused, as the two helpers above.)
[[maybe_unused]] inline void transpose16(__m512 (&v)[16]) {
  __m512 t[16], u[16];
  // t[2i]'s quarter q: v[2i][4q], v[2i+1][4q], v[2i][4q+1], v[2i+1][4q+1]; t[2i+1] the same with
  // 4q+2 and 4q+3.
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = unpack_lo32(v[2 * i], v[2 * i + 1]);
    t[2 * i + 1] = unpack_hi32(v[2 * i], v[2 * i + 1]);
  }
  // u[4j+e]'s quarter q: element 4q+e of v[4j], ..., v[4j+3].
  for (int j = 0; j < 4; ++j) {
    u[4 * j] = unpack_lo64(t[4 * j], t[4 * j + 2]);
    u[4 * j + 1] = unpack_hi64(t[4 * j], t[4 * j + 2]);
    u[4 * j + 2] = unpack_lo64(t[4 * j + 1], t[4 * j + 3]);
    u[4 * j + 3] = unpack_hi64(t[4 * j + 1], t[4 * j + 3]);
  }
  // Element 4q+e of every v: quarter q of u[e], u[4+e], u[8+e], u[12+e], in that order.
  for (int e = 0; e < 4; ++e) {
    const __m512 w0 = shuffle_quarters<0x44>(u[e], u[4 + e]);  // u[e] q0 q1, u[4+e] q0 q1
    const __m512 w1 = shuffle_quarters<0xee>(u[e], u[4 + e]);  // u[e] q2 q3, u[4+e] q2 q3
    const __m512 w2 = shuffle_quarters<0x44>(u[8 + e], u[12 + e]);
    const __m512 w3 = shuffle_quarters<0xee>(u[8 + e], u[12 + e]);
    v[e] = shuffle_quarters<0x88>(w0, w2);       // quarters 0 and 2 of each: q0 of the four
    v[4 + e] = shuffle_quarters<0xdd>(w0, w2);   // quarters 1 and 3: q1
    v[8 + e] = shuffle_quarters<0x88>(w1, w3);   // q2
    v[12 + e] = shuffle_quarters<0xdd>(w1, w3);  // q3
  }
}
#endif

#if defined(__AVX512F__)
// Lane e of the result: lane idx[e] of a (idx[e] < 16) or of b (idx[e] - 16): one vpermt2ps.
// (Unused in the double build, as the helpers above.)
[[maybe_unused]] inline __m512 pick2(__m512 a, const __m512i& idx, __m512 b) {
  return _mm512_permutex2var_ps(a, idx, b);
}

// Two or four rows whose columns are contiguous (stride = rows, as a layer array's own buffers are):
// then 16 time steps are 2 or 4 whole vectors of m, and each plane's 16 values are picked out of
// them with two-source permutes, 2 or 12 per 16 steps (4 rows: 8 lanes from each half, then the
// halves joined), where the transpose takes 64 and the copy a load and a store per value.
template <int R>
Index deinterleave(const float* m, PlanesOf<float> p, Index n) noexcept {
  static_assert(R == 2 || R == 4);
  Index t = 0;
  for (; t + 16 <= n; t += 16) {
    __m512 c[R];
    for (int j = 0; j < R; ++j) c[j] = _mm512_loadu_ps(m + t * R + 16 * j);
    for (int r = 0; r < R; ++r) {
      // Plane r's value for step e sits at e * R + r of the R vectors read as one array.
      alignas(64) int32_t idx[16];
      for (int e = 0; e < 16; ++e) idx[e] = (R == 2 ? e * 2 : (e % 8) * 4) + r;
      const __m512i i = _mm512_load_si512(idx);
      if constexpr (R == 2) {
        _mm512_storeu_ps(p.row(r) + t, pick2(c[0], i, c[1]));
      } else {
        // Steps 0-7 from c[0], c[1]; steps 8-15 from c[2], c[3] (the same lanes); then joined.
        const __m512 low = pick2(c[0], i, c[1]), high = pick2(c[2], i, c[3]);
        _mm512_storeu_ps(p.row(r) + t, shuffle_quarters<0x44>(low, high));
      }
    }
  }
  return t;
}

template <int R>
Index interleave(PlanesOf<const float> p, float* m, Index n) noexcept {
  static_assert(R == 2 || R == 4);
  // Lanes (2c + q) of pair_low hold step c (0-7) of rows q = 0, 1 of a pair; pair_high steps 8-15.
  alignas(64) int32_t pair_low[16], pair_high[16];
  for (int e = 0; e < 16; ++e) {
    pair_low[e] = (e % 2) * 16 + e / 2;
    pair_high[e] = pair_low[e] + 8;
  }
  const __m512i lo = _mm512_load_si512(pair_low), hi = _mm512_load_si512(pair_high);
  Index t = 0;
  for (; t + 16 <= n; t += 16) {
    const __m512 p0 = _mm512_loadu_ps(p.row(0) + t), p1 = _mm512_loadu_ps(p.row(1) + t);
    if constexpr (R == 2) {
      _mm512_storeu_ps(m + t * 2, pick2(p0, lo, p1));
      _mm512_storeu_ps(m + t * 2 + 16, pick2(p0, hi, p1));
    } else {
      const __m512 p2 = _mm512_loadu_ps(p.row(2) + t), p3 = _mm512_loadu_ps(p.row(3) + t);
      const __m512 q01[2] = {pick2(p0, lo, p1), pick2(p0, hi, p1)}, q23[2] = {pick2(p2, lo, p3), pick2(p2, hi, p3)};
      // Output vector j: steps 4j to 4j+3, each as rows 0-3; rows 0-1 from q01, 2-3 from q23.
      for (int j = 0; j < 4; ++j) {
        alignas(64) int32_t idx[16];
        for (int e = 0; e < 16; ++e) idx[e] = (e % 4 < 2 ? 0 : 16) + 8 * (j % 2) + 2 * (e / 4) + e % 2;
        _mm512_storeu_ps(m + t * 4 + 16 * j, pick2(q01[j / 2], _mm512_load_si512(idx), q23[j / 2]));
      }
    }
  }
  return t;
}
#endif

// The whole groups of 16 time steps, transposed; returns how many time steps it did (none without
// AVX-512 floats). Templates, so that the double build discards the float intrinsics.
template <typename S>
Index columns_to_planes_transposed(const S* m, Index stride, Index rows, PlanesOf<S> p, Index n) noexcept {
  Index t = 0;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<S, float>) {
    const __mmask16 lanes = static_cast<__mmask16>((1u << rows) - 1);
    for (; t + 16 <= n; t += 16) {
      __m512 v[16];
      for (int i = 0; i < 16; ++i) v[i] = _mm512_maskz_loadu_ps(lanes, m + (t + i) * stride);
      transpose16(v);
      for (Index r = 0; r < rows; ++r) _mm512_storeu_ps(p.row(r) + t, v[r]);
    }
  }
#endif
  return (void)m, (void)stride, (void)rows, (void)p, (void)n, t;
}

template <typename S>
Index planes_to_columns_transposed(PlanesOf<const S> p, Index rows, S* m, Index stride, Index n) noexcept {
  Index t = 0;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<S, float>) {
    const __mmask16 lanes = static_cast<__mmask16>((1u << rows) - 1);
    for (; t + 16 <= n; t += 16) {
      __m512 v[16];
      for (Index r = 0; r < 16; ++r) v[r] = r < rows ? _mm512_loadu_ps(p.row(r) + t) : _mm512_setzero_ps();
      transpose16(v);
      for (int i = 0; i < 16; ++i) _mm512_mask_storeu_ps(m + (t + i) * stride, lanes, v[i]);
    }
  }
#endif
  return (void)p, (void)rows, (void)m, (void)stride, (void)n, t;
}

// Two or four contiguous rows (see deinterleave), in the same way as the transposed helpers.
template <typename S>
Index columns_to_planes_interleaved(const S* m, Index rows, PlanesOf<S> p, Index n) noexcept {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<S, float>) return rows == 2 ? deinterleave<2>(m, p, n) : deinterleave<4>(m, p, n);
#endif
  return (void)m, (void)rows, (void)p, (void)n, 0;
}

template <typename S>
Index planes_to_columns_interleaved(PlanesOf<const S> p, Index rows, S* m, Index n) noexcept {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<S, float>) return rows == 2 ? interleave<2>(p, m, n) : interleave<4>(p, m, n);
#endif
  return (void)p, (void)rows, (void)m, (void)n, 0;
}

}  // namespace

void columns_to_planes_reference(const Scalar* m, Index stride, Index rows, Planes p, Index n) noexcept {
  for (Index t = 0; t < n; ++t)
    for (Index r = 0; r < rows; ++r) p.row(r)[t] = m[t * stride + r];
}

void planes_to_columns_reference(ConstPlanes p, Index rows, Scalar* m, Index stride, Index n) noexcept {
  for (Index t = 0; t < n; ++t)
    for (Index r = 0; r < rows; ++r) m[t * stride + r] = p.row(r)[t];
}

// n contiguous values, whole 64-byte pieces first (each an inlined vector move). std::copy of a
// runtime count is a call into libc's memmove, which for a block of 16 samples cost about as much
// as a nano layer's tap (1.4% of nano's block 16: its audio row, into planes and back).
namespace {
void copy_values(const Scalar* from, Index n, Scalar* to) noexcept {
  constexpr Index piece = 64 / sizeof(Scalar);
  Index t = 0;
  for (; t + piece <= n; t += piece) std::memcpy(to + t, from + t, 64);
  each_value(1, t, n, [&](Index, Index i) { to[i] = from[i]; });
}
}  // namespace

void columns_to_planes(const Scalar* m, Index stride, Index rows, Planes p, Index n) noexcept {
  if (rows == 1 && stride == 1) return copy_values(m, n, p.row(0));
  Index done = 0;
  if ((rows == 2 || rows == 4) && stride == rows) done = columns_to_planes_interleaved(m, rows, p, n);
  if (rows > kCopyRows) done = columns_to_planes_transposed(m, stride, rows, p, n);
  each_value(rows, done, n, [&](Index r, Index t) { p.row(r)[t] = m[t * stride + r]; });
}

void planes_to_columns(ConstPlanes p, Index rows, Scalar* m, Index stride, Index n) noexcept {
  if (rows == 1 && stride == 1) return copy_values(p.row(0), n, m);
  Index done = 0;
  if ((rows == 2 || rows == 4) && stride == rows) done = planes_to_columns_interleaved(p, rows, m, n);
  if (rows > kCopyRows) done = planes_to_columns_transposed(p, rows, m, stride, n);
  each_value(rows, done, n, [&](Index r, Index t) { m[t * stride + r] = p.row(r)[t]; });
}

}  // namespace namk
