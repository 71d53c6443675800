// The tuned conv kernels, forward and weight gradient side by side: the column kernels (any C_out up
// to 32, one vector register per 8 or 16 output channels) and the channel-pair kernels (C_out <= 8,
// two input channels per lane pair). conv1d.cpp and conv1d_backward.cpp choose among them;
// test_conv1d_tuned.cpp instantiates them and compares them with conv1d_reference.cpp on any ISA.
// Everything here has internal linkage on purpose: each translation unit compiles its own copy
// with its own flags (conv1d.cpp keeps every FMA contracted, see core/CMakeLists.txt), so a test
// that instantiates a kernel cannot swap its code into the library's at link time.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <utility>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "core/kernels/conv1d.h"
#include "core/kernels/mat_view.h"
#include "core/kernels/register_width.h"
#include "core/scalar.h"

// Without AVX-512 the channel-pair kernels (tested on every ISA, dispatched only on AVX-512) pass
// 64-byte vectors, whose calling convention then differs from AVX-512 code's: harmless here, where
// every function has internal linkage and no ABI is shared with other code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace namk::conv1d_tuned {
namespace {

// GCC vector extensions, not intrinsics: the SSE2-only default build lowers a 64-byte vector to four
// SSE registers (correct, portable); with -march=native it is one AVX-512 register and `+= w * x`
// becomes one FMA with the scalar broadcast folded in.
typedef Scalar Vector64 __attribute__((vector_size(64)));
typedef Scalar Vector32 __attribute__((vector_size(32)));
constexpr Index kLanes = sizeof(Vector64) / sizeof(Scalar);  // 16 floats, 8 doubles

// The argument types a forward kernel reads, its last template parameter: Eigen Refs (the training
// graph, the tests) or plain views (streaming's conv1d_forward_views, see mat_view.h). One source
// serves both; the kernels read only data(), rows(), cols(), outerStride() and elements.
struct RefArgs {
  using In = ConstMatRef;
  using Out = MatRef;
  using Extras = Conv1dExtras;
};
struct ViewArgs {
  using In = ConstMatView;
  using Out = const MatView;
  using Extras = Conv1dViewExtras;
};

// The small path keeps the zero-padded weights on the stack: at most this many (tap, input channel)
// pairs, i.e. K*C_in (48 for the standard preset's K=3, C=16).
constexpr Index kMaxWeightCols = 128;
constexpr Index kMaxRows = 32;
// The side input (the input mixer's condition: the audio, plus the knobs for concat) is short.
constexpr Index kMaxSideRows = 16;

// The channel-pair kernels (C_out <= kLanes/2; dispatched on AVX-512 floats only) keep input
// channels 2p and 2p+1 side by side in every lane pair: this loads (p[0], p[1]) into every pair of lanes (one 8-byte
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

// Lanes [0, n) of a vector from or to n contiguous scalars (n < the vector's lanes), the other lanes
// zero or left alone. On AVX-512 (floats, 64-byte vectors) one masked load or store: a fixed-size
// copy through the stack instead (12 floats as 32 + 16 bytes, read back as one 64-byte vector)
// defeats store forwarding, and cost a streaming 1x1 with short columns more than its FMAs.
// (32-byte vectors too, with AVX-512VL: residual_layer_tiny.h's.)
template <typename V>
inline V load_first(const Scalar* p, Index n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(V) == 64 && sizeof(Scalar) == 4)
    return V(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), p));
#endif
#if defined(__AVX512VL__)
  if constexpr (sizeof(V) == 32 && sizeof(Scalar) == 4)
    return V(_mm256_maskz_loadu_ps(static_cast<__mmask8>((1u << n) - 1), p));
#endif
  V v = {};
  std::memcpy(&v, p, static_cast<size_t>(n) * sizeof(Scalar));
  return v;
}

template <typename V>
inline void store_first(Scalar* p, const V& v, Index n) {
#if defined(__AVX512F__)
  if constexpr (sizeof(V) == 64 && sizeof(Scalar) == 4) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), __m512(v));
    return;
  }
#endif
#if defined(__AVX512VL__)
  if constexpr (sizeof(V) == 32 && sizeof(Scalar) == 4) {
    _mm256_mask_storeu_ps(p, static_cast<__mmask8>((1u << n) - 1), __m256(v));
    return;
  }
#endif
  std::memcpy(p, &v, static_cast<size_t>(n) * sizeof(Scalar));
}

// ---- Column kernels: vectorised over output channels, one time step (column) at a time ----

// Whether conv1d_pack lays out a conv with C_out rows for the column kernel, whose vectors hold
// `width` rows: C_out past half a vector (fewer go to the channel-pair kernel) and short of a whole
// one (whole columns are read from w in place), floats with AVX-512. Lite's 12 channels.
constexpr bool short_columns_packed(Index c_out, Index width) {
#if defined(__AVX512F__)
  return sizeof(Scalar) == 4 && width == kLanes && c_out > kLanes / 2 && c_out < kLanes;
#else
  return (void)c_out, (void)width, false;
#endif
}

// y = b + sum over taps k and input channels i of w[:, k*C_in + i] * x(i, t + k*d) (+ the extras'
// side term, then residual), one output column at a time, vectorised over output channels (NV
// vectors of V per column, zero-padded). Every column is accumulated in the same fixed order (bias,
// then k, then i, then the side input), whether it is computed in a group of COLS columns (which
// share each weight load) or alone, so y[:, t] is bit-identical whatever the block size: streaming
// at any block size equals the training forward bit for bit.
// CIN and TAPS, when not 0, fix C_in (with x's columns contiguous) and K at compile time: every
// broadcast is then a constant offset from one pointer, where a runtime stride needs a register per
// column of the group and they spill. COUT, when not 0, fixes C_out: a short column (lite's 12
// channels in a 16-lane vector) is then padded, read and stored with masks or fixed-size copies
// (load_first, store_first), where a runtime size called memcpy once per weight column per call.
template <typename V, int NV, int COLS, int CIN = 0, int TAPS = 0, int COUT = 0, typename A = RefArgs>
void forward_columns(const typename A::In& x, const typename A::In& w, const typename A::In& b, Index dilation,
                     typename A::Out& y, const typename A::Extras& extras) {
  constexpr Index lanes = sizeof(V) / sizeof(Scalar);
  static_assert(COUT <= NV * lanes);
  const Index c_in = CIN > 0 ? CIN : x.rows(), c_out = COUT > 0 ? COUT : y.rows(), n_w = w.cols(),
              t_out = y.cols();
  const Index taps = TAPS > 0 ? TAPS : conv1d_kernel_size(n_w, c_in), c_side = extras.side.rows();
  // Weight columns are read as NV whole vectors: straight from w when C_out fills them (no copy per
  // call, which matters for streaming's short blocks), from conv1d_pack's padded columns when the
  // caller has them (prepacked: w's, then the side weight's from column `offset`), else from a
  // zero-padded copy on the stack.
  const Scalar* prepacked = short_columns_packed(c_out, NV * lanes) ? extras.packed : nullptr;
  auto weights = [&](const typename A::In& m, V* packed, Index& stride, Index offset) {
    if (c_out == NV * lanes) {
      stride = m.outerStride();
      return m.data();
    }
    if (prepacked) {
      stride = NV * lanes;
      return prepacked + offset * stride;
    }
    if (COUT > 0 && NV == 1 && m.outerStride() == c_out) {
      for (Index j = 0; j < m.cols(); ++j) packed[j] = load_first<V>(m.data() + j * c_out, c_out);
    } else {
      for (Index j = 0; j < m.cols(); ++j) {
        for (int v = 0; v < NV; ++v) packed[j * NV + v] = V{};
        std::memcpy(&packed[j * NV], m.data() + j * m.outerStride(), static_cast<size_t>(c_out) * sizeof(Scalar));
      }
    }
    stride = NV * lanes;
    return reinterpret_cast<const Scalar*>(packed);
  };
  V packed[kMaxWeightCols * NV], side_packed[kMaxSideRows * NV];
  Index ws = 0, ss = 0;
  const Scalar* wd = weights(w, packed, ws, 0);
  const Scalar* sw = c_side > 0 ? weights(extras.side_weight, side_packed, ss, n_w) : nullptr;
  V bias[NV];
  for (int v = 0; v < NV; ++v) bias[v] = V{};
  // With C_out fixed and one vector, one masked load: a copy of 12 floats through the stack, read
  // back as one vector, waited for its stores (5% of lite's 12-channel conv at block 16).
  if (COUT > 0 && NV == 1 && b.size() > 0)
    bias[0] = load_first<V>(b.data(), c_out);
  else if (b.size() > 0)
    std::memcpy(bias, b.data(), static_cast<size_t>(c_out) * sizeof(Scalar));
  const Scalar* xd = x.data();
  const Scalar* sd = extras.side.data();
  const Scalar* rd = extras.residual.size() > 0 ? extras.residual.data() : nullptr;
  const Index xs = CIN > 0 ? CIN : x.outerStride(), ys = y.outerStride(), sds = extras.side.outerStride(),
              rs = extras.residual.outerStride();
  Scalar* yd = y.data();
  // FULL (C_out fills the NV vectors) is a template parameter: with the element-wise store of a
  // short column in the same loop, GCC kept the accumulators in memory. CONTIG (with FULL: y's and
  // the residual's columns one after another, as streaming's histories and the training tape hold
  // them) makes their strides constants: with runtime strides GCC kept a pointer per column of the
  // group on the stack and reloaded all of them at every group's stores.
  auto columns = [&]<int N, bool FULL, bool CONTIG>(Index t) {
    const Index y_stride = CONTIG ? NV * lanes : ys, r_stride = CONTIG ? NV * lanes : rs;
    V acc[N][NV];
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c)
      for (int v = 0; v < NV; ++v) acc[c][v] = bias[v];
    for (Index k = 0; k < taps; ++k) {
      const Scalar* xk = xd + (t + k * dilation) * xs;
      const Scalar* wk = wd + k * c_in * ws;
      for (Index i = 0; i < c_in; ++i)
        for (int v = 0; v < NV; ++v) {
          V wv;
          std::memcpy(&wv, wk + i * ws + v * lanes, sizeof(V));
#pragma GCC unroll 16
          for (int c = 0; c < N; ++c) acc[c][v] += wv * xk[c * xs + i];
        }
    }
    // The side input's rows j after the taps. A side of one contiguous row (the audio, the mixer's
    // usual input) read at constant offsets from one pointer: with a runtime stride each column
    // of the group needs its own pointer, and GCC, short of registers for them, kept the group's
    // accumulators on the stack (stored after the taps, loaded back here).
    // (Two loops, not a lambda: a lambda's reference to acc kept it in memory.)
    const bool one_row = c_side == 1 && sds == 1;
    for (int v = 0; one_row && v < NV; ++v) {
      V wv;
      std::memcpy(&wv, sw + v * lanes, sizeof(V));
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c][v] += wv * sd[t + c];
    }
    for (Index j = 0; !one_row && j < c_side; ++j)
      for (int v = 0; v < NV; ++v) {
        V wv;
        std::memcpy(&wv, sw + j * ss + v * lanes, sizeof(V));
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c][v] += wv * sd[(t + c) * sds + j];
      }
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) {
      Scalar* yc = yd + (t + c) * y_stride;
      const Scalar* rc = rd ? rd + (t + c) * r_stride : nullptr;
      for (int v = 0; v < NV; ++v) {
        const Index rows = FULL ? lanes : std::min<Index>(lanes, c_out - v * lanes);
        // Copies out of acc, never its address or an element of it (if constexpr: not even in a
        // branch the compiler drops later): either kept acc in memory, stored after the taps
        // and loaded back here, for every group.
        V out = acc[c][v];
        if (FULL || rows == lanes) {
          if (rc) {
            V r;
            std::memcpy(&r, rc + v * lanes, sizeof(V));
            out = r + out;
          }
          std::memcpy(yc + v * lanes, &out, sizeof(V));
        } else if constexpr (COUT > 0) {
          // rows is a constant here: whole-vector arithmetic, masked or fixed-size copies.
          if (rc) out = load_first<V>(rc + v * lanes, rows) + out;
          store_first(yc + v * lanes, out, rows);
        } else if constexpr (!FULL) {
          for (Index l = 0; l < rows; ++l) yc[v * lanes + l] = rc ? rc[v * lanes + l] + out[l] : out[l];
        }
      }
    }
  };
  // Shorter groups before lone columns: a streaming block of 64 is not a multiple of every COLS.
  auto run = [&]<bool FULL, bool CONTIG>() {
    Index t = 0;
    for (; t + COLS <= t_out; t += COLS) columns.template operator()<COLS, FULL, CONTIG>(t);
    if constexpr (COLS > 8)
      for (; t + 8 <= t_out; t += 8) columns.template operator()<8, FULL, CONTIG>(t);
    if constexpr (COLS > 4)
      for (; t + 4 <= t_out; t += 4) columns.template operator()<4, FULL, CONTIG>(t);
    for (; t < t_out; ++t) columns.template operator()<1, FULL, CONTIG>(t);
  };
  if (c_out == NV * lanes && ys == c_out && (!rd || rs == c_out))
    run.template operator()<true, true>();
  else if (c_out == NV * lanes)
    run.template operator()<true, false>();
  else
    run.template operator()<false, false>();
}

// Columns per group: enough independent accumulators to hide FMA latency, few enough to stay in
// registers (about 8 registers of accumulators).
template <typename V, int NV>
constexpr int small_columns() {
  constexpr int registers = NV * std::max<int>(1, int(sizeof(V)) / kRegisterBytes);
  return std::max(1, 8 / registers);
}

// dw(:, k*C_in + i0 .. + IB) += sum_t dy(:, t) x(i0 .. + IB, t + k*d)^T, dy's column as NV vectors.
// FULL (C_out fills the vectors exactly) is a template parameter: a branch inside the loop made GCC
// spill the accumulators to the stack on every step.
template <typename V, int NV, int IB, bool FULL>
void weight_grad_block(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, Index k, Index i0,
                       MatRef& dw) {
  constexpr Index lanes = sizeof(V) / sizeof(Scalar);
  const Index c_out = dy.rows(), c_in = x.rows(), t_out = dy.cols(), xs = x.outerStride(), gs = dy.outerStride();
  V acc[IB][NV];
  for (int i = 0; i < IB; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  const Scalar* xd = x.data() + k * dilation * xs + i0;
  const Scalar* gd = dy.data();
  // A short column (C_out below the vector width) is still loaded as whole vectors while that stays
  // inside dy: the extra lanes read the next column, accumulate into lanes that are never stored,
  // and cost nothing, where a per-step partial copy cost most of the kernel's time (nano).
  // Step t may load whole vectors while t*gs + NV*lanes <= (t_out-1)*gs + c_out, dy's last element
  // + 1. (The slack is tested for sign first: integer division truncates toward zero.)
  const Index slack = (t_out - 1) * gs + c_out - NV * lanes;
  const Index whole_loads = FULL ? t_out : (slack < 0 ? 0 : std::min(t_out, slack / gs + 1));
  auto step = [&](Index t, const V* g) {
    const Scalar* xt = xd + t * xs;
    for (int i = 0; i < IB; ++i)
      for (int v = 0; v < NV; ++v) acc[i][v] += g[v] * xt[i];
  };
  // From dilation 16 the K taps read K separate regions of x, and the hardware prefetcher left the
  // later taps' columns outside L1: in a training step x is the layer's input on the tape, written
  // long before its backward. Each step asks for the column its tap reads kPrefetchAhead steps
  // later (the next backward tile's), while that stays inside x; the arithmetic is unchanged.
  // Measured on 128-column calls with x out of cache (16 channels, K = 3): 108 -> 154 GFLOP/s at
  // dilation 512, 162-215 -> 211-215 at 64. Below 16 the taps overlap and the prefetcher keeps up.
  constexpr Index kPrefetchAhead = 128;
  const Index prefetched = dilation >= 16 ? std::clamp<Index>(x.cols() - k * dilation - kPrefetchAhead, 0, t_out) : 0;
  for (Index t = 0; t < whole_loads; ++t) {
    V g[NV];
    std::memcpy(g, gd + t * gs, sizeof g);
    if (t < prefetched) __builtin_prefetch(xd + (t + kPrefetchAhead) * xs);
    step(t, g);
  }
  for (Index t = whole_loads; t < t_out; ++t) {
    V g[NV];
    for (int v = 0; v < NV; ++v) g[v] = V{};
    std::memcpy(g, gd + t * gs, static_cast<size_t>(c_out) * sizeof(Scalar));
    step(t, g);
  }
  for (int i = 0; i < IB; ++i) {
    Scalar* col = dw.col(k * c_in + i0 + i).data();
    if constexpr (FULL) {
      V current[NV];
      std::memcpy(current, col, sizeof current);
      for (int v = 0; v < NV; ++v) current[v] += acc[i][v];
      std::memcpy(col, current, sizeof current);
    } else {
      for (Index r = 0; r < c_out; ++r) col[r] += acc[i][r / lanes][r % lanes];
    }
  }
}

template <typename V, int NV, bool FULL>
void weight_grad_columns(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  // 16 accumulator registers: enough independent FMA chains, with room for dy's column.
  constexpr int block = std::max(1, 16 / NV);
  // Time in chunks whose dy and x columns stay in L1 while every tap and channel block reads them
  // (whole-signal passes per tap ran from L3 at 60% of the forward's speed).
  constexpr Index chunk = 512;
  const Index c_in = x.rows(), taps = conv1d_kernel_size(dw.cols(), c_in), t_out = dy.cols(),
              reach = x.cols() - t_out;
  for (Index t0 = 0; t0 < t_out; t0 += chunk) {
    const Index n = std::min(chunk, t_out - t0);
    // Refs made once and passed by reference: a Ref built per call costs more than a short block.
    const ConstMatRef xc = x.middleCols(t0, n + reach), gc = dy.middleCols(t0, n);
    for (Index k = 0; k < taps; ++k) {
      Index i = 0;
      for (; i + block <= c_in; i += block) weight_grad_block<V, NV, block, FULL>(xc, gc, dilation, k, i, dw);
      // The rest in as few blocks as the sizes below allow: lite's 12 and 6 channels in one pass over
      // time per tap, where blocks of 4 and 1 took three, each with too few accumulators to keep
      // the FMA pipes busy. Each weight is still its own sum over t: the same bits in any block.
      auto rest = [&]<int IB>() {
        if constexpr (IB < block)
          if (i + IB <= c_in) {
            weight_grad_block<V, NV, IB, FULL>(xc, gc, dilation, k, i, dw);
            i += IB;
          }
      };
      rest.template operator()<12>();
      rest.template operator()<8>();
      rest.template operator()<6>();
      rest.template operator()<4>();
      rest.template operator()<2>();
      for (; i < c_in; ++i) weight_grad_block<V, NV, 1, FULL>(xc, gc, dilation, k, i, dw);
    }
  }
}

// db += the row sums of dy, for up to one vector V of rows (a short column read with load_first):
// four column accumulators in registers. (Eigen's rowwise().sum() walks each row with a stride
// through a chain of dependent scalar adds, and a per-column `db += dy.col(t)` of 12 or 6 rows was
// a chain of scalar adds through db's memory: a sixth of lite's training step.)
template <typename V>
void bias_grad_vector(const ConstMatRef& dy, MatRef& db) {
  constexpr Index lanes = sizeof(V) / sizeof(Scalar);
  const Index rows = dy.rows(), cols = dy.cols(), stride = dy.outerStride();
  const Scalar* g = dy.data();
  // Adds column t into a (by reference: a lambda returning a vector is emitted past this file's
  // -Wpsabi pragma, and the portable build would warn).
  auto add_column = [&](V& a, Index t) {
    if (rows == lanes) {
      V v;
      std::memcpy(&v, g + t * stride, sizeof v);
      a += v;
    } else {
      a += load_first<V>(g + t * stride, rows);
    }
  };
  V acc[4] = {};
  Index t = 0;
  for (; t + 4 <= cols; t += 4)
    for (int j = 0; j < 4; ++j) add_column(acc[j], t + j);
  for (; t < cols; ++t) add_column(acc[0], t);
  const V sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (Index r = 0; r < rows; ++r) db(r, 0) += sum[r];
}

// ---- Channel-pair kernels: two input channels per lane pair (C_out <= kLanes/2) ----

// Lane 2o of a channel-pair sum holds output o's even-channel part and lane 2o+1 its odd one:
// y(o) = v[2o] + v[2o+1], for two columns at once (c0 in lanes [0, half), c1 in [half, lanes)).
template <typename V>
inline V fold_pairs(const V& c0, const V& c1) {
  if constexpr (sizeof(V) / sizeof(c0[0]) == 16)
    return __builtin_shufflevector(c0, c1, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
           __builtin_shufflevector(c0, c1, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  else
    return __builtin_shufflevector(c0, c1, 0, 2, 4, 6, 8, 10, 12, 14) +
           __builtin_shufflevector(c0, c1, 1, 3, 5, 7, 9, 11, 13, 15);
}

// (a0..a(h-1), b0..b(h-1)) -> (a0, b0, a1, b1, ...) for a vector of 2h lanes. A template so that
// only the shuffle of V's own width is compiled: clang checks a non-dependent discarded branch.
template <typename V>
inline V interleave_halves(const V& two) {
  if constexpr (sizeof(V) / sizeof(two[0]) == 16)
    return __builtin_shufflevector(two, two, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
  else
    return __builtin_shufflevector(two, two, 0, 4, 1, 5, 2, 6, 3, 7);
}

// For a compile-time C_out = n <= kLanes/2 and columns of m contiguous (stride n): the vector `two`
// holds columns j and j+1 in lanes [0, 2n) (zero beyond); the result is interleave_halves' layout,
// lane 2o = m(o, j), lane 2o+1 = m(o, j+1), zero from lane 2n on.
template <int N, size_t... L>
inline Vector64 interleave_short_columns(const Vector64& two, std::index_sequence<L...>) {
  return __builtin_shufflevector(two, Vector64{}, (L < 2 * N ? (L % 2 == 0 ? L / 2 : N + L / 2) : kLanes)...);
}

// The inverse direction for a folded pair of columns (column t in lanes [0, half), t+1 in
// [half, 2 half)): both columns' n values moved to lanes [0, 2n), i.e. as they lie in a matrix with
// n rows, so two columns are one fixed-size store.
template <int N, size_t... L>
inline Vector64 compact_folded_columns(const Vector64& both, std::index_sequence<L...>) {
  constexpr size_t half = kLanes / 2;
  return __builtin_shufflevector(both, both, (L < N ? L : L < 2 * N ? half + L - N : 0)...);
}

// A folded pair's second column (lanes [half, 2 half)) moved to lanes [0, half).
template <size_t... L>
inline Vector64 second_folded_column(const Vector64& both, std::index_sequence<L...>) {
  return __builtin_shufflevector(both, both, ((L + kLanes / 2) % kLanes)...);
}

// The vectors forward_channel_pairs lays out for its weights, in this order: the K * ceil(C_in / 2)
// interleaved weight columns (lane 2o: w(o, j), lane 2o+1: w(o, j+1), zero past the tap's last
// input channel), the ceil(C_side / 2) of the side weight, the bias in the even lanes. Written
// element by element: the readable form of what the kernel builds with loads and shuffles, and
// what it copies instead when Conv1dExtras::packed is given (conv1d_pack).
inline Index channel_pairs_packed_vectors(const ConstMatRef& w, Index c_in, Index c_side) {
  return conv1d_kernel_size(w.cols(), c_in) * ((c_in + 1) / 2) + (c_side + 1) / 2 + 1;
}
inline void pack_channel_pairs(const ConstMatRef& w, const ConstMatRef& b, const ConstMatRef& side_weight, Index c_in,
                               Scalar* out) {
  const Index c_out = w.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
  auto put = [&](const ConstMatRef& m, Index j, Index last) {
    for (Index l = 0; l < kLanes; ++l) out[l] = Scalar(0);
    for (Index o = 0; o < c_out; ++o) {
      out[2 * o] = m(o, j);
      if (j + 1 <= last) out[2 * o + 1] = m(o, j + 1);
    }
    out += kLanes;
  };
  for (Index k = 0; k < taps; ++k)
    for (Index j = 0; j < c_in; j += 2) put(w, k * c_in + j, k * c_in + c_in - 1);
  for (Index j = 0; j < side_weight.cols(); j += 2) put(side_weight, j, side_weight.cols() - 1);
  for (Index l = 0; l < kLanes; ++l) out[l] = Scalar(0);
  for (Index o = 0; o < b.size(); ++o) out[2 * o] = b(o, 0);
}

// C_out <= 8 on a 16-lane machine (floats): each vector holds output channel o's sum over even
// input channels in lane 2o and over odd ones in lane 2o+1, so every FMA does full-width work where
// the column kernel would use half a register. Input channels 2p and 2p+1 of a column are adjacent,
// so one 8-byte broadcast load gives (x(2p, t), x(2p+1, t)) in every lane pair, against weights
// interleaved the same way (12 vectors for K=3, C_in=8: they stay in registers). No lane permute
// per FMA (the two-columns-per-vector design needed one and ran at half this speed); the two halves
// of each lane pair are added once per column at the end (fold_pairs). Every column is accumulated
// in the same order whether it is computed in a group or alone, so its bits do not depend on the
// block size. An odd last input channel is broadcast alone against weights zero in the odd lanes.
// TAPS and PAIRS (C_in / 2) fixed at compile time for the presets' shapes, with x's columns
// contiguous (stride C_in), let every broadcast address be a constant offset from one pointer
// (a runtime stride needs a register per column, and they spill); 0 reads the runtime shape.
// COUT, when not 0, fixes C_out (at most half the lanes): with the weights, y and the residual
// contiguous, short columns (6, 4 or 2 channels) are then packed and stored two at a time with a
// shuffle and fixed-size copies, where element-wise inserts and stores cost lite and feather more
// than their FMAs at streaming's block sizes.
// (The internal kernels take their Refs by reference: passing six Refs by value down the dispatch
// chain copied them through the stack on every call, a quarter of a streaming 1x1's time.)
template <int COLS, int TAPS, int PAIRS, int COUT = 0, typename A = RefArgs>
void forward_channel_pairs(const typename A::In& x, const typename A::In& w, const typename A::In& b,
                           Index dilation, typename A::Out& y, const typename A::Extras& e) {
  constexpr Index half = kLanes / 2;
  static_assert(COUT <= half);
  const Index c_in = PAIRS > 0 ? 2 * PAIRS : x.rows(), c_out = COUT > 0 ? COUT : y.rows(), t_out = y.cols(),
              c_side = e.side.rows();
  const Index taps = TAPS > 0 ? TAPS : conv1d_kernel_size(w.cols(), c_in), in_pairs = (c_in + 1) / 2,
              side_pairs = (c_side + 1) / 2;
  // Columns j and j+1 of m interleaved (lane 2o: m(o, j), lane 2o+1: m(o, j+1), or 0 past `last`).
  // Two full adjacent columns are one 16-float load and one permute: streaming packs every call.
  auto interleave = [&](const typename A::In& m, Index j, Index last, Vector64& v) {
    if constexpr (COUT > 0)
      if (m.outerStride() == COUT) {
        // Columns j and j+1 are adjacent: one load of 2 C_out values (C_out past `last`: a lone
        // last column, such as the mixer's one column, comes out with its odd lanes zero).
        const Vector64 two = load_first<Vector64>(m.data() + j * COUT, j + 1 <= last ? 2 * COUT : COUT);
        v = interleave_short_columns<COUT>(two, std::make_index_sequence<kLanes>());
        return;
      }
    if (c_out == half && j + 1 <= last && m.outerStride() == half) {
      Vector64 two;
      std::memcpy(&two, m.data() + j * half, sizeof two);
      v = interleave_halves(two);
      return;
    }
    v = Vector64{};
    for (Index o = 0; o < c_out; ++o) {
      v[2 * o] = m(o, j);
      if (j + 1 <= last) v[2 * o + 1] = m(o, j + 1);
    }
  };
  Vector64 weights[kMaxWeightCols], side_weights[kMaxSideRows];
  Vector64 bias = {};
  if (e.packed) {
    // Laid out once by pack_channel_pairs (conv1d_pack): the same vectors, copied one at a time.
    // (One memcpy of a runtime size is a call into libc, per conv and block: 5-8% of nano's
    // streaming at block 16, whose arrays' rechannel and head convs are tiny.)
    const Scalar* p = e.packed;
    auto copy = [](const Scalar* from, Index n, Vector64* to) {
      for (Index i = 0; i < n; ++i) std::memcpy(&to[i], from + i * kLanes, sizeof(Vector64));
    };
    copy(p, taps * in_pairs, weights);
    p += taps * in_pairs * kLanes;
    copy(p, side_pairs, side_weights);
    std::memcpy(&bias, p + side_pairs * kLanes, sizeof bias);
  } else {
    for (Index k = 0; k < taps; ++k)
      for (Index p = 0; p < in_pairs; ++p)
        interleave(w, k * c_in + 2 * p, k * c_in + c_in - 1, weights[k * in_pairs + p]);
    for (Index p = 0; p < side_pairs; ++p) interleave(e.side_weight, 2 * p, c_side - 1, side_weights[p]);
    // The bias in the even lanes. With C_out fixed, one masked load and a shuffle: writing lanes one
    // at a time went through the stack, and reading the vector back stalled on every call.
    if (COUT > 0 && b.size() == COUT)
      bias = interleave_short_columns<COUT>(load_first<Vector64>(b.data(), COUT), std::make_index_sequence<kLanes>());
    else
      for (Index o = 0; o < b.size(); ++o) bias[2 * o] = b(o, 0);
  }
  const bool odd_in = c_in % 2 == 1, odd_side = c_side % 2 == 1;
  const Scalar* xd = x.data();
  const Scalar* sd = e.side.data();
  const Scalar* rd = e.residual.size() > 0 ? e.residual.data() : nullptr;
  const Index xs = PAIRS > 0 ? 2 * PAIRS : x.outerStride(), ys = y.outerStride(),
              ss = e.side.outerStride(), rs = e.residual.outerStride();
  Scalar* yd = y.data();
  // Rows of y (and of the residual) when two columns are stored as one contiguous run.
  constexpr Index packed_rows = COUT > 0 ? COUT : half;
  const bool packed_out = c_out == packed_rows && ys == packed_rows && (!rd || rs == packed_rows);
  // Column t's sum, y(:, t) = residual + (even + odd), from one folded vector's half h. One masked
  // load and store (load_first, store_first): GCC made the element loop a call to memcpy per
  // column (the tiny rechannel and head convs of nano spent 5-8% of its block-16 streaming there).
  auto store = [&](Index t, const Vector64& folded, Index h) {
    const Vector64 v = h == 0 ? folded : second_folded_column(folded, std::make_index_sequence<kLanes>());
    store_first(yd + t * ys, rd ? load_first<Vector64>(rd + t * rs, c_out) + v : v, c_out);
  };
  // PACKED (C_out = 8, y and the residual contiguous): two columns are one vector of y, stored
  // straight from a register. A template parameter, not a branch: with the element-wise store in
  // the same loop, GCC kept the accumulators in memory (the 1x1 ran at a third of its speed).
  auto columns = [&]<int N, bool PACKED>(Index t) {
    Vector64 acc[N];
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) acc[c] = bias;
    for (Index k = 0; k < taps; ++k) {
      const Scalar* xk = xd + (t + k * dilation) * xs;
      const Vector64* wk = weights + k * in_pairs;
      for (Index p = 0; p < c_in / 2; ++p)
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c] += wk[p] * broadcast_pair(xk + c * xs + 2 * p);
      if (odd_in)
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c] += wk[in_pairs - 1] * xk[c * xs + c_in - 1];
    }
    for (Index p = 0; p < c_side / 2; ++p)
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c] += side_weights[p] * broadcast_pair(sd + (t + c) * ss + 2 * p);
    if (odd_side)
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c] += side_weights[side_pairs - 1] * sd[(t + c) * ss + c_side - 1];
    if constexpr (N == 1) {
      store(t, fold_pairs(acc[0], acc[0]), 0);
    } else if constexpr (PACKED) {
#pragma GCC unroll 8
      for (int c = 0; c < N; c += 2) {
        Vector64 both = fold_pairs(acc[c], acc[c + 1]);  // columns t+c and t+c+1
        if constexpr (packed_rows < half) {
          both = compact_folded_columns<packed_rows>(both, std::make_index_sequence<kLanes>());
          if (rd) both = load_first<Vector64>(rd + (t + c) * packed_rows, 2 * packed_rows) + both;
          store_first(yd + (t + c) * packed_rows, both, 2 * packed_rows);
        } else {
          if (rd) {
            Vector64 r;
            std::memcpy(&r, rd + (t + c) * half, sizeof r);
            both = r + both;
          }
          std::memcpy(yd + (t + c) * half, &both, sizeof both);
        }
      }
    } else {
#pragma GCC unroll 8
      for (int c = 0; c < N; c += 2) {
        const Vector64 both = fold_pairs(acc[c], acc[c + 1]);
        store(t + c, both, 0);
        store(t + c + 1, both, 1);
      }
    }
  };
  // The same walk as forward_columns', written again on purpose: shared through a function
  // template, the 8-channel 1x1 compiled to code 15% slower.
  auto run = [&]<bool PACKED>() {
    Index t = 0;
    for (; t + COLS <= t_out; t += COLS) columns.template operator()<COLS, PACKED>(t);
    if constexpr (COLS > 8)
      for (; t + 8 <= t_out; t += 8) columns.template operator()<8, PACKED>(t);
    if constexpr (COLS > 4)
      for (; t + 4 <= t_out; t += 4) columns.template operator()<4, PACKED>(t);
    for (; t < t_out; ++t) columns.template operator()<1, PACKED>(t);
  };
  if (packed_out)
    run.template operator()<true>();
  else
    run.template operator()<false>();
}

// The presets' shapes get compile-time kernels: C_in 2 to 8 with K = 3, and up to 16 with K = 1 (the
// 1x1s, and the 16-to-8 rechannel and head of the standard preset), x contiguous.
template <int TAPS, int MAX_PAIRS, int PAIRS = 1, typename A = RefArgs>
bool channel_pairs_fixed(const typename A::In& x, const typename A::In& w, const typename A::In& b,
                         Index dilation, typename A::Out& y, const typename A::Extras& e) {
  if (x.rows() == 2 * PAIRS && conv1d_kernel_size(w.cols(), x.rows()) == TAPS) {
    forward_channel_pairs<16, TAPS, PAIRS, 0, A>(x, w, b, dilation, y, e);
    return true;
  }
  if constexpr (PAIRS < MAX_PAIRS)
    return channel_pairs_fixed<TAPS, MAX_PAIRS, PAIRS + 1, A>(x, w, b, dilation, y, e);
  return false;
}

// The presets' layers with C channels (8, 6, 4, 2 in their second arrays; 4 in nano's first) also
// fix C_out: the K = 3 conv and the 1x1 (C to C), the rechannel and the head (2C to C).
template <int COUT, typename A = RefArgs>
bool channel_pairs_fixed_out(const typename A::In& x, const typename A::In& w, const typename A::In& b,
                             Index dilation, typename A::Out& y, const typename A::Extras& e) {
  if constexpr (COUT <= kLanes / 2) {
    if (y.rows() != COUT) return false;
    const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in);
    if (c_in == COUT && taps == 3)
      forward_channel_pairs<16, 3, COUT / 2, COUT, A>(x, w, b, dilation, y, e);
    else if (c_in == COUT && taps == 1)
      forward_channel_pairs<16, 1, COUT / 2, COUT, A>(x, w, b, dilation, y, e);
    else if (c_in == 2 * COUT && taps == 1)
      forward_channel_pairs<16, 1, COUT, COUT, A>(x, w, b, dilation, y, e);
    else
      return false;
    return true;
  }
  return false;
}

template <typename A = RefArgs>
void channel_pairs(const typename A::In& x, const typename A::In& w, const typename A::In& b, Index dilation,
                   typename A::Out& y, const typename A::Extras& e) {
  if (x.outerStride() == x.rows() &&
      (channel_pairs_fixed_out<8, A>(x, w, b, dilation, y, e) || channel_pairs_fixed_out<6, A>(x, w, b, dilation, y, e) ||
       channel_pairs_fixed_out<4, A>(x, w, b, dilation, y, e) || channel_pairs_fixed_out<2, A>(x, w, b, dilation, y, e) ||
       channel_pairs_fixed<3, 4, 1, A>(x, w, b, dilation, y, e) || channel_pairs_fixed<1, 8, 1, A>(x, w, b, dilation, y, e)))
    return;
  forward_channel_pairs<8, 0, 0, 0, A>(x, w, b, dilation, y, e);
}


// Lane l of the result: lane index[l] of (lo, hi) taken as one 32-lane vector (16 floats each).
template <typename I>
inline Vector64 permute_two(const Vector64& lo, const Vector64& hi, const I& index) {
#if defined(__AVX512F__)
  if constexpr (sizeof(Scalar) == 4) return Vector64(_mm512_permutex2var_ps(__m512(lo), __m512i(index), __m512(hi)));
#endif
  Vector64 v;
  for (int l = 0; l < 16; ++l) v[l] = index[l] < 16 ? lo[index[l]] : hi[index[l] - 16];
  return v;
}

// One output channel from three contiguous input channels (A2-lite's 16-tap head: C = 3 to 1),
// in forward_channel_pairs' order, with eight columns per vector instead of one: lanes 2c and 2c+1
// hold column t+c's even and odd sums. The channel-pair kernel would use 2 of 16 lanes per FMA;
// here one load of the 24 inputs of 8 columns and two permutes give every lane pair its column's
// (x0, x1) and (x2, x2), against weights (w0, w1) and (w2, 0) repeated. Every lane sees the
// channel-pair kernel's operations in its order, so the bits are the same. GROUPS vectors of 8
// columns run side by side: one accumulator's 2K FMAs form a single dependent chain. Columns past
// the last whole group take forward_channel_pairs. Returns how many columns it wrote.
template <int GROUPS = 4, typename A = RefArgs>
Index forward_three_to_one(const typename A::In& x, const typename A::In& w, const typename A::In& b, Index dilation,
                           typename A::Out& y) {
  constexpr int span = 8;  // columns per vector
  if constexpr (kLanes != 2 * span) {
    return 0;  // doubles: 8 lanes, not written for
  } else {
  const Index taps = w.cols() / 3, t_out = y.cols();
  if (taps > kMaxWeightCols / 2) return 0;
  Vector64 pair_w[kMaxWeightCols / 2], odd_w[kMaxWeightCols / 2];
  for (Index k = 0; k < taps; ++k) {
    const Scalar w0 = w(0, 3 * k), w1 = w(0, 3 * k + 1), w2 = w(0, 3 * k + 2);
    for (int c = 0; c < span; ++c) {
      pair_w[k][2 * c] = w0;
      pair_w[k][2 * c + 1] = w1;
      odd_w[k][2 * c] = w2;
      odd_w[k][2 * c + 1] = 0;
    }
  }
  Vector64 bias = {};
  if (b.size() > 0)
    for (int c = 0; c < span; ++c) bias[2 * c] = b(0, 0);
  const Scalar* xd = x.data();
  Scalar* yd = y.data();
  const Index ys = y.outerStride();
  typedef int32_t Indices __attribute__((vector_size(64)));
  const Indices pair_index = {0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22};
  const Indices odd_index = {2, 2, 5, 5, 8, 8, 11, 11, 14, 14, 17, 17, 20, 20, 23, 23};
  auto groups = [&]<int G>(Index t) {
    Vector64 acc[G];
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) acc[g] = bias;
    for (Index k = 0; k < taps; ++k) {
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) {
        const Scalar* base = xd + (t + g * span + k * dilation) * 3;
        Vector64 lo;
        std::memcpy(&lo, base, sizeof lo);
        const Vector64 hi = load_first<Vector64>(base + 16, 8);
        acc[g] += pair_w[k] * permute_two(lo, hi, pair_index);
        acc[g] += odd_w[k] * permute_two(lo, hi, odd_index);
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) {
      const Vector64 folded = fold_pairs(acc[g], acc[g]);  // lanes [0, 8): the 8 columns' sums
      if (ys == 1)
        std::memcpy(yd + t + g * span, &folded, span * sizeof(Scalar));
      else
        for (int c = 0; c < span; ++c) yd[(t + g * span + c) * ys] = folded[c];
    }
  };
  Index t = 0;
  for (; t + GROUPS * span <= t_out; t += GROUPS * span) groups.template operator()<GROUPS>(t);
  for (; t + span <= t_out; t += span) groups.template operator()<1>(t);
  return t;
  }
}

// C_out = 8 floats on AVX-512, the forward's channel-pair layout (conv1d.cpp): the accumulator of
// tap k and input channels (2p, 2p+1) holds dW(o, k*C_in + 2p) in lane 2o and dW(o, k*C_in + 2p + 1)
// in lane 2o+1. Each step spreads dy's column as (dy(0), dy(0), dy(1), dy(1), ...) once, then every
// accumulator takes one FMA with an 8-byte broadcast of x's channel pair: full-width FMAs with no
// lane permute per FMA (the two-columns-per-vector kernel needed one and ran at half this speed).
// TAPS*PAIRS accumulators stay in registers for the whole signal, so x and dy are read once.
template <typename V, int TAPS, int PAIRS>
void weight_grad_channel_pairs(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  constexpr Index half = sizeof(V) / sizeof(Scalar) / 2, c_in = 2 * PAIRS;
  const Index t_out = dy.cols(), xs = x.outerStride(), gs = dy.outerStride();
  V acc[TAPS][PAIRS];
  for (int k = 0; k < TAPS; ++k)
    for (int p = 0; p < PAIRS; ++p) acc[k][p] = V{};
  const Scalar* xd = x.data();
  const Scalar* gd = dy.data();
  for (Index t = 0; t < t_out; ++t) {
    Vector32 column;  // half of V
    std::memcpy(&column, gd + t * gs, sizeof column);
    V g;
    if constexpr (half == 8)
      g = __builtin_shufflevector(column, column, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    else
      g = __builtin_shufflevector(column, column, 0, 0, 1, 1, 2, 2, 3, 3);
    for (int k = 0; k < TAPS; ++k) {
      const Scalar* xt = xd + (t + k * dilation) * xs;
      for (int p = 0; p < PAIRS; ++p) acc[k][p] += g * broadcast_pair(xt + 2 * p);
    }
  }
  for (int k = 0; k < TAPS; ++k)
    for (int p = 0; p < PAIRS; ++p) {
      V split;  // lanes [0, half): dW's column 2p, [half, 2 half): column 2p + 1
      if constexpr (half == 8)
        split = __builtin_shufflevector(acc[k][p], acc[k][p], 0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
      else
        split = __builtin_shufflevector(acc[k][p], acc[k][p], 0, 2, 4, 6, 1, 3, 5, 7);
      for (int e = 0; e < 2; ++e) {
        Scalar* col = dw.col(k * c_in + 2 * p + e).data();
        for (Index o = 0; o < half; ++o) col[o] += split[e * half + o];
      }
    }
}

}  // namespace
}  // namespace namk::conv1d_tuned

#pragma GCC diagnostic pop
