// A whole WaveNet residual layer per column for tiny channel counts (C <= 4, A2-lite's 3, nano's 4
// and 2): conv and mixer, activation (tanh, LeakyReLU or none), skip sum, 1x1 and residual in one
// pass over a group of columns, z and a kept in registers between the steps. residual_layer.cpp
// takes it where the three-pass path (its reference, residual_layer_forward_tiled) would run
// conv1d's channel-pair kernel, and computes every value in that kernel's order (and tanh in
// tanh_array's form, tanh_vector.h), so the two agree bit for bit: the render fixtures, streaming
// against training, and block sizes are all unchanged by which path runs.
// Why: with 3 channels a layer's arithmetic is some 20 vector FMAs per column, and the three passes
// cost several times that in per-call set-up (weights interleaved element by element, Refs, an
// activation call, an element-wise skip sum) and in short columns stored and reloaded between them.
// The order, as in conv1d_tuned.h's forward_channel_pairs: lane 2o of an accumulator sums output
// o's bias and its even input channels, lane 2o+1 its odd ones (an odd last channel adds into the
// even lane against a zero odd weight), taps in order, then the mixer's condition channels the
// same way; the two lanes are added once at the end. Internal linkage, as conv1d_tuned.h, so a
// test that instantiates it compiles its own copy.
#pragma once

#include <cstring>
#include <utility>

#include "core/kernels/conv1d_tuned.h"
#include "core/kernels/pointwise.h"
#include "core/kernels/residual_layer.h"
#include "core/kernels/tanh_vector.h"

// Without AVX-512 a 64-byte vector (8 doubles) is passed differently from AVX-512 code: harmless
// here, where everything has internal linkage.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace namk::residual_tiny {
namespace {

// Eight lanes: 2C <= 8 for C <= 4, one 256-bit register for floats.
typedef Scalar V8 __attribute__((vector_size(8 * sizeof(Scalar))));
typedef Scalar V16 __attribute__((vector_size(16 * sizeof(Scalar))));
constexpr int kMaxPairs = 64;  // (tap, input channel pair) vectors: K * ceil(C/2) <= 64

// Lanes [0, n) from n contiguous scalars, the rest zero, and the converse store: conv1d_tuned's,
// one masked load or store with AVX-512VL floats (a copy through the stack would defeat store
// forwarding).
inline V8 load_n(const Scalar* p, int n) { return conv1d_tuned::load_first<V8>(p, n); }
inline void store_n(Scalar* p, const V8& v, int n) { conv1d_tuned::store_first(p, v, n); }

// (p[0], p[1]) in every lane pair: the low half of conv1d_tuned's 64-byte broadcast (for floats,
// the same 8-byte broadcast into a 32-byte register).
inline V8 broadcast_pair(const Scalar* p) {
  const conv1d_tuned::Vector64 v = conv1d_tuned::broadcast_pair(p);
  return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
}

// Index patterns for __builtin_shufflevector over (v, zero): lane 8 is the zero vector's first.
// interleave: two C-row columns (lanes [0, C) and [C, 2C)) -> lane 2o from the first, 2o+1 from
// the second. fold_index: lane o <- 2o + E (E = 0 even, 1 odd), lanes from C on zero.
template <int C, size_t... L>
inline V8 interleave(const V8& two, std::index_sequence<L...>) {
  return __builtin_shufflevector(two, V8{}, (L < 2 * C ? (L % 2 == 0 ? L / 2 : C + L / 2) : 8)...);
}
template <int C, size_t... L>
inline V8 fold(const V8& acc, std::index_sequence<L...>) {
  return __builtin_shufflevector(acc, V8{}, (L < C ? 2 * L : 8)...) +
         __builtin_shufflevector(acc, V8{}, (L < C ? 2 * L + 1 : 8)...);
}
// (v[I], v[I+1]) in every lane pair; v[I] in every lane.
template <int I, size_t... L>
inline V8 spread_pair(const V8& v, std::index_sequence<L...>) {
  return __builtin_shufflevector(v, v, (I + L % 2)...);
}
template <int I, size_t... L>
inline V8 spread(const V8& v, std::index_sequence<L...>) {
  return __builtin_shufflevector(v, v, (I + 0 * L)...);
}

using Lanes = std::make_index_sequence<8>;

// The pair-layout vectors of a C-row matrix with contiguous columns: for each run of `per` columns
// (a tap's input channels), columns 2p and 2p+1 interleaved, an odd last one against zero.
template <int C, typename M>
inline int pack_pairs(const M& m, int per, V8* out) {
  const int runs = static_cast<int>(m.cols()) / per, pairs = (per + 1) / 2;
  for (int r = 0; r < runs; ++r)
    for (int p = 0; p < pairs; ++p) {
      const int j = r * per + 2 * p;
      out[r * pairs + p] = interleave<C>(load_n(m.data() + j * C, 2 * p + 1 < per ? 2 * C : C), Lanes());
    }
  return runs * pairs;
}

// Whether the tiny path may run: the shapes for which residual_layer_forward_tiled would take the
// channel-pair kernel for both convs (floats with AVX-512, tuned kernels), every matrix contiguous.
// Every function here takes Eigen Refs (residual_layer_forward, the tests) or views (streaming's
// residual_layer_stream, see mat_view.h): W is the matching ResidualLayerWeightsOf.
template <typename W, typename In, typename Out>
inline bool applies(const W& w, const ResidualLayerShape& s, const In& h, const In& cond, const Out& z, const Out& a,
                    const In& head_in, const Out& head_out, const Out& h_next) {
  const Index c = a.rows();
  auto packed = [c](Index stride, Index rows) { return rows == c && stride == c; };
  return c >= 1 && c <= 4 && !s.gated &&
         (s.activation == Activation::Tanh || s.activation == Activation::LeakyReLU ||
          s.activation == Activation::Identity) &&
         a.cols() > 0 && w.conv.rows() == c && w.conv.cols() % c == 0 && w.conv.cols() / c * ((c + 1) / 2) <= kMaxPairs &&
         w.conv.cols() <= 128 && packed(w.conv.outerStride(), w.conv.rows()) && w.conv_bias.size() == c &&
         cond.rows() >= 1 && cond.rows() <= 16 && w.mixer.cols() == cond.rows() &&
         packed(w.mixer.outerStride(), w.mixer.rows()) && packed(w.out.outerStride(), w.out.rows()) &&
         w.out.cols() == c && w.out_bias.size() == c && packed(h.outerStride(), h.rows()) &&
         packed(z.outerStride(), z.rows()) && z.cols() == a.cols() && packed(a.outerStride(), a.rows()) &&
         packed(head_out.outerStride(), head_out.rows()) &&
         (head_in.size() == 0 || packed(head_in.outerStride(), head_in.rows())) &&
         packed(h_next.outerStride(), h_next.rows());
}

// residual_layer_forward (residual_layer.h) for C channels, when applies(); post is unused (not
// gated). Groups of COLS columns give the conv's FMA chains independent neighbours.
// TANH: the activation is tanh, else LeakyReLU or identity (a template parameter, as the planar
// kernel's: residual_layer_planar.cpp).
template <int C, bool TANH, int COLS = 8, typename W, typename In, typename Out>
void forward(const W& w, const ResidualLayerShape& s, const In& h, const In& cond, Out& z, Out& a, const In& head_in,
             Out& head_out, Out& h_next) {
  constexpr int pairs = (C + 1) / 2;
  const Index t_out = a.cols(), reach = h.cols() - t_out, d = s.dilation;
  const int taps = static_cast<int>(w.conv.cols()) / C, c_side = static_cast<int>(cond.rows());
  V8 conv_w[kMaxPairs], side_w[8], out_w[pairs];
  pack_pairs<C>(w.conv, C, conv_w);
  pack_pairs<C>(w.mixer, c_side, side_w);
  pack_pairs<C>(w.out, C, out_w);
  const V8 bias = interleave<C>(load_n(w.conv_bias.data(), C), Lanes());
  const V8 out_bias = interleave<C>(load_n(w.out_bias.data(), C), Lanes());
  const bool leaky = s.activation == Activation::LeakyReLU;
  const Scalar slope = Scalar(kLeakyReluSlope);
  tanh_vector::Registers tanh_table{};
  if constexpr (TANH) tanh_table = tanh_vector::registers();
  const Scalar* xd = h.data();
  const Scalar* sd = cond.data();
  const Index ss = cond.outerStride();
  const Scalar* hin = head_in.size() > 0 ? head_in.data() : nullptr;
  Scalar *zd = z.data(), *ad = a.data(), *hd = head_out.data(), *yd = h_next.data();
  auto columns = [&]<int N>(Index t) {
    // The skip sum's input is read first: in streaming it is the previous layer's head_out, just
    // rewritten in place by this layer's previous group, and a masked load overlapping a masked
    // store still in flight waits for it (it cannot forward). Read here, that wait overlaps the
    // conv's FMAs; read beside the store, it cost half the kernel's time.
    V8 acc[N], skip[N];
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) {
      acc[c] = bias;
      skip[c] = hin ? load_n(hin + (t + c) * C, C) : V8{};
    }
    for (int k = 0; k < taps; ++k) {
      const Scalar* xk = xd + (t + k * d) * C;
      const V8* wk = conv_w + k * pairs;
#pragma GCC unroll 4
      for (int p = 0; p < C / 2; ++p)
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c] += wk[p] * broadcast_pair(xk + c * C + 2 * p);
      if constexpr (C % 2 == 1)
#pragma GCC unroll 16
        for (int c = 0; c < N; ++c) acc[c] += wk[pairs - 1] * xk[c * C + C - 1];
    }
    for (int p = 0; p < c_side / 2; ++p)
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c] += side_w[p] * broadcast_pair(sd + (t + c) * ss + 2 * p);
    if (c_side % 2 == 1)
#pragma GCC unroll 16
      for (int c = 0; c < N; ++c) acc[c] += side_w[c_side / 2] * sd[(t + c) * ss + c_side - 1];
    V8 act[N];
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) {
      const V8 zv = fold<C>(acc[c], Lanes());
      store_n(zd + (t + c) * C, zv, C);
      act[c] = leaky ? (zv > 0 ? zv : slope * zv) : zv;
    }
    // tanh two columns per 16-lane vector (lanes from C on are zero, and stay so).
    if constexpr (TANH)
#pragma GCC unroll 8
      for (int c = 0; c < N; c += 2) {
        const V8 second = c + 1 < N ? act[c + 1] : V8{};
        V16 both = __builtin_shufflevector(act[c], second, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        tanh_vector::tanh_lanes(both, tanh_table);
        act[c] = __builtin_shufflevector(both, both, 0, 1, 2, 3, 4, 5, 6, 7);
        if (c + 1 < N) act[c + 1] = __builtin_shufflevector(both, both, 8, 9, 10, 11, 12, 13, 14, 15);
      }
#pragma GCC unroll 16
    for (int c = 0; c < N; ++c) {
      const Index col = (t + c) * C;
      const V8 av = act[c];
      store_n(ad + col, av, C);
      store_n(hd + col, hin ? skip[c] + av : av, C);
      V8 y = out_bias;
      if constexpr (C >= 2) y += out_w[0] * spread_pair<0>(av, Lanes());
      if constexpr (C >= 4) y += out_w[1] * spread_pair<2>(av, Lanes());
      if constexpr (C % 2 == 1) y += out_w[pairs - 1] * spread<C - 1>(av, Lanes());
      store_n(yd + col, load_n(xd + (t + reach) * C + c * C, C) + fold<C>(y, Lanes()), C);
    }
  };
  Index t = 0;
  for (; t + COLS <= t_out; t += COLS) columns.template operator()<COLS>(t);
  if constexpr (COLS > 4)
    for (; t + 4 <= t_out; t += 4) columns.template operator()<4>(t);
  for (; t < t_out; ++t) columns.template operator()<1>(t);
}

// forward<C> for the runtime C (applies() holds).
template <typename W, typename In, typename Out>
inline void forward_any(const W& w, const ResidualLayerShape& s, const In& h, const In& cond, Out& z, Out& a,
                        const In& head_in, Out& head_out, Out& h_next) {
  const bool tanh = s.activation == Activation::Tanh;
  switch (a.rows()) {
    case 1:
      return tanh ? forward<1, true>(w, s, h, cond, z, a, head_in, head_out, h_next)
                  : forward<1, false>(w, s, h, cond, z, a, head_in, head_out, h_next);
    case 2:
      return tanh ? forward<2, true>(w, s, h, cond, z, a, head_in, head_out, h_next)
                  : forward<2, false>(w, s, h, cond, z, a, head_in, head_out, h_next);
    case 3:
      return tanh ? forward<3, true>(w, s, h, cond, z, a, head_in, head_out, h_next)
                  : forward<3, false>(w, s, h, cond, z, a, head_in, head_out, h_next);
    default:
      return tanh ? forward<4, true>(w, s, h, cond, z, a, head_in, head_out, h_next)
                  : forward<4, false>(w, s, h, cond, z, a, head_in, head_out, h_next);
  }
}

}  // namespace
}  // namespace namk::residual_tiny

#pragma GCC diagnostic pop
