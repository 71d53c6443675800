// See residual_layer_planar.h. The order every value is computed in, per output channel o and time
// step t, which is conv1d_tuned.h's channel-pair order (forward_channel_pairs, and
// residual_layer_tiny.h's) written per lane:
//   z:  two sums, "even" from o's conv bias and "odd" from zero; per tap in order, input channel i
//       adds (an FMA) into even when i is even, odd when it is odd, i ascending; then the mixer's
//       condition rows j the same way; z = even + odd.
//   a:  tanh(z) (the build's: tanh_array's bits, see pointwise.h), z > 0 ? z : slope * z
//       (LeakyReLU), or z.   head = head + a (or a, the first layer).
//   h': the 1x1 the same way from even = o's bias and odd = zero over the channels of a;
//       h' = h + (even + odd).
// Past 8 channels (kPlanarMaxColumnChannels) the order is the column kernel's (conv1d_tuned.h's
// forward_columns), which the training graph takes there: one sum per output, from o's bias, every
// tap in order with its input channels ascending, then the condition rows; the 1x1 the same from
// o's bias; h' = h + that sum. The activation and the skip sum as above.
// The pair kernel also adds zero weights into the odd sum for an odd last channel: a no-op for
// finite inputs (the odd sum starts at +0 and rounds to nearest, so it is never -0 and adding a
// signed zero leaves it), which this kernel skips; only an infinite input could tell the two apart.
#include "core/kernels/residual_layer_planar.h"

#include <algorithm>
#include <cstring>
#include <iterator>

#include "core/kernels/conv1d_tuned.h"
#include "core/kernels/tanh_float.h"
#include "core/kernels/tanh_vector.h"

// Without AVX-512 a 64-byte vector is passed differently from AVX-512 code: harmless here, where
// every function taking one has internal linkage.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace namk {

namespace {

// One vector: 16 time steps of one channel (floats); other targets split it into what they have.
constexpr int kLanes = 64 / sizeof(Scalar);
typedef Scalar V __attribute__((vector_size(64)));
static_assert(kPlanarPad == kLanes);

inline V load(const Scalar* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(Scalar* p, const V& v) { std::memcpy(p, &v, sizeof v); }
// Keeps a loaded input in a register (an empty asm that may change it, which it does not). GCC
// otherwise folds the load into each of the C FMAs that read it: C loads of 64 bytes where one
// does, and the load ports, not the FMAs, set the pace (measured 35% slower per layer). SSE2
// builds, where a vector spans four registers, have no such constraint, and need none.
inline void in_register([[maybe_unused]] V& v) {
#if defined(__AVX512F__)
  asm("" : "+v"(v));
#endif
}

// One value, for the reference: tanh_piecewise_reference where the vector form is the quintic
// (its readable twin), else the activation itself.
Scalar tanh_one(Scalar z) {
  if (kTanhPiecewise && sizeof(Scalar) == sizeof(float)) return Scalar(tanh_piecewise_reference(float(z)));
  Scalar y;
  activation_forward_views(Activation::Tanh, ConstMatView(&z, 1, 1, 1), MatView(&y, 1, 1, 1));
  return y;
}

// The channel-pair order's step for one weight column block: input rows p and p + 1 (channels,
// or condition rows) into the even and odd sums of every output, an odd last row into even alone;
// w holds row p's C weights at w + p * C. The layer's conv taps and mixer and the planar conv's
// taps all add their rows this way.
template <int C, int G>
[[gnu::always_inline]] inline void add_rows(V (&even)[C][G], V (&odd)[C][G], const Scalar* w, ConstPlanes in,
                                            Index rows, Index offset) {
  Index p = 0;
  for (; p + 1 < rows; p += 2) {
    const Scalar *r0 = in.row(p) + offset, *r1 = in.row(p + 1) + offset;
    V v0[G], v1[G];
    for (int g = 0; g < G; ++g) {
      v0[g] = load(r0 + g * kLanes);
      v1[g] = load(r1 + g * kLanes);
      in_register(v0[g]);
      in_register(v1[g]);
    }
    for (int o = 0; o < C; ++o)
      for (int g = 0; g < G; ++g) {
        even[o][g] += v0[g] * w[p * C + o];
        odd[o][g] += v1[g] * w[(p + 1) * C + o];
      }
  }
  if (p < rows) {
    const Scalar* r0 = in.row(p) + offset;
    V v0[G];
    for (int g = 0; g < G; ++g) {
      v0[g] = load(r0 + g * kLanes);
      in_register(v0[g]);
    }
    for (int o = 0; o < C; ++o)
      for (int g = 0; g < G; ++g) even[o][g] += v0[g] * w[p * C + o];
  }
}

// G vectors of time steps from t: every output channel's two sums for each, kept in registers
// through the layer (G = 4, C = 3: 24 accumulators), so 24 FMA chains run side by side; a chain
// is 13 dependent FMAs long for K = 6, and fewer chains leave the FMA units waiting on it.
// TANH: the activation is tanh (its table then in use), else LeakyReLU or identity (x.activation).
template <int C, int G, bool TANH>
[[gnu::always_inline]] inline void group(const PlanarLayer& x, const PlanarBlock& b, const float* tanh_table,
                                         Index t) {
  V even[C][G], odd[C][G];
  for (int o = 0; o < C; ++o)
    for (int g = 0; g < G; ++g) {
      even[o][g] = V{} + x.conv_bias[o];
      odd[o][g] = V{};
    }
  for (Index k = 0; k < x.taps; ++k) add_rows(even, odd, x.conv + k * C * C, b.h, C, t + k * x.dilation);
  add_rows(even, odd, x.mixer, b.condition, x.c_cond, t);

  // The tanh table's twelve registers are loaded here, once per group, from L1: held through the
  // whole layer, they left too few registers for the sums and the inputs, and GCC spilled the sums
  // and moved twelve registers round at every tap (8 channels: 24 register moves a tap). Both loops
  // below unrolled, so every sum, a and the table stay in registers: nano's and feather's block 64
  // ran 15-20% faster, standard's 8-channel array about 20%.
  const Scalar slope = Scalar(kLeakyReluSlope);
  tanh_vector::Registers table{};
  if constexpr (TANH) table = tanh_vector::registers(tanh_table);
  V a[C][G];
#pragma GCC unroll 8
  for (int o = 0; o < C; ++o)
    for (int g = 0; g < G; ++g) {
      const V z = even[o][g] + odd[o][g];
      if constexpr (TANH) {
        a[o][g] = z;
        tanh_vector::tanh_lanes(a[o][g], table);
      } else {
        a[o][g] = x.activation == Activation::LeakyReLU ? (z > 0 ? z : slope * z) : z;  // or identity
      }
      Scalar* hp = b.head.row(o) + t + g * kLanes;
      store(hp, b.head_in ? load(hp) + a[o][g] : a[o][g]);
    }
#pragma GCC unroll 8
  for (int o = 0; o < C; ++o)
    for (int g = 0; g < G; ++g) {
      V ye = V{} + x.out_bias[o], yo = V{};
      int i = 0;
      for (; i + 1 < C; i += 2) {
        ye += a[i][g] * x.out[i * C + o];
        yo += a[i + 1][g] * x.out[(i + 1) * C + o];
      }
      if (i < C) ye += a[i][g] * x.out[i * C + o];
      const Index col = t + g * kLanes;
      store(b.h_next.row(o) + col, load(b.h.row(o) + x.reach + col) + (ye + yo));
    }
}

// TANH a template parameter, not a branch per vector: with the tanh path in the same loop, A2-lite's
// LeakyReLU layers ran 10-15% slower at block 64 (its registers crowd out the accumulators').
template <int C, bool TANH>
void layer(const PlanarLayer& x, const PlanarBlock& b) {
  // Whole vectors, the last one running past n into the planes' padding.
  const Index vectors = (b.n + kLanes - 1) / kLanes;
  Index v = 0;
  // 2 * C * G accumulators: at most 24 (C = 3, G = 4), or 16, leaving registers for the inputs.
  if constexpr (C <= 3)
    for (; v + 4 <= vectors; v += 4) group<C, 4, TANH>(x, b, x.tanh_table, v * kLanes);
  if constexpr (C <= 4)
    for (; v + 2 <= vectors; v += 2) group<C, 2, TANH>(x, b, x.tanh_table, v * kLanes);
  for (; v < vectors; ++v) group<C, 1, TANH>(x, b, x.tanh_table, v * kLanes);
}

// The column kernel's order for 9 to 12 channels: one sum per output, each input row's vector
// loaded once and spread over every output (weights broadcast from memory).
template <int C>
[[gnu::always_inline]] inline void add_rows_single(V (&sum)[C], const Scalar* w, ConstPlanes in, Index rows,
                                                   Index offset) {
  for (Index p = 0; p < rows; ++p) {
    V v = load(in.row(p) + offset);
    in_register(v);
#pragma GCC unroll 16
    for (int o = 0; o < C; ++o) sum[o] += v * w[p * C + o];
  }
}

// group()'s steps in the column kernel's order, one vector of time steps at a time: C sums instead
// of 2C, so at 12 channels the activations fit beside the tanh table's twelve registers.
template <int C, bool TANH>
[[gnu::always_inline]] inline void group_single(const PlanarLayer& x, const PlanarBlock& b, const float* tanh_table,
                                                Index t) {
  V z[C];
#pragma GCC unroll 16
  for (int o = 0; o < C; ++o) z[o] = V{} + x.conv_bias[o];
  for (Index k = 0; k < x.taps; ++k) add_rows_single<C>(z, x.conv + k * C * C, b.h, C, t + k * x.dilation);
  add_rows_single<C>(z, x.mixer, b.condition, x.c_cond, t);

  const Scalar slope = Scalar(kLeakyReluSlope);
  tanh_vector::Registers table{};
  if constexpr (TANH) table = tanh_vector::registers(tanh_table);
  V a[C];
#pragma GCC unroll 16
  for (int o = 0; o < C; ++o) {
    if constexpr (TANH) {
      a[o] = z[o];
      tanh_vector::tanh_lanes(a[o], table);
    } else {
      a[o] = x.activation == Activation::LeakyReLU ? (z[o] > 0 ? z[o] : slope * z[o]) : z[o];
    }
    Scalar* hp = b.head.row(o) + t;
    store(hp, b.head_in ? load(hp) + a[o] : a[o]);
  }
#pragma GCC unroll 16
  for (int o = 0; o < C; ++o) {
    V y = V{} + x.out_bias[o];
#pragma GCC unroll 16
    for (int i = 0; i < C; ++i) y += a[i] * x.out[i * C + o];
    store(b.h_next.row(o) + t, load(b.h.row(o) + x.reach + t) + y);
  }
}

template <int C, bool TANH>
void layer_single(const PlanarLayer& x, const PlanarBlock& b) {
  const Index vectors = (b.n + kLanes - 1) / kLanes;
  for (Index v = 0; v < vectors; ++v) group_single<C, TANH>(x, b, x.tanh_table, v * kLanes);
}

// G vectors of 16 time steps from t for each of the conv's C outputs: 2CG sums (at most 16), each
// input row's vectors loaded once and spread over every output. G > 1 where C leaves registers for
// it: A2's head (3 or 8 channels to 1, 16 taps) is a chain of 16 to 64 FMAs per sum.
template <int C, int G>
[[gnu::always_inline]] inline void conv_group(const PlanarConv& c, ConstPlanes x, Planes y, Index t) {
  V even[C][G], odd[C][G];
  for (int o = 0; o < C; ++o)
    for (int g = 0; g < G; ++g) {
      even[o][g] = c.b ? V{} + c.b[o] : V{};
      odd[o][g] = V{};
    }
  for (Index k = 0; k < c.taps; ++k) add_rows(even, odd, c.w + k * c.c_in * C, x, c.c_in, t + k * c.dilation);
  for (int o = 0; o < C; ++o)
    for (int g = 0; g < G; ++g) store(y.row(o) + t + g * kLanes, even[o][g] + odd[o][g]);
}

template <int C>
void conv(const PlanarConv& c, ConstPlanes x, Planes y, Index n) {
  const Index vectors = (n + kLanes - 1) / kLanes;
  Index v = 0;
  if constexpr (C <= 2)
    for (; v + 4 <= vectors; v += 4) conv_group<C, 4>(c, x, y, v * kLanes);
  if constexpr (C <= 4)
    for (; v + 2 <= vectors; v += 2) conv_group<C, 2>(c, x, y, v * kLanes);
  for (; v < vectors; ++v) conv_group<C, 1>(c, x, y, v * kLanes);
}

}  // namespace

bool conv_planar_applies(Index c_in, Index c_out, Index taps) {
  // conv1d's small-channel kernel's limits (conv1d.cpp's forward_small): beyond them it takes
  // another order.
  return kPlanarStreaming && c_out >= 1 && c_out <= kPlanarMaxChannels && c_in >= 1 && taps >= 1 &&
         taps * c_in <= conv1d_tuned::kMaxWeightCols;
}

void conv_planar(const PlanarConv& c, ConstPlanes x, Planes y, Index n) {
  switch (c.c_out) {
    case 1: return conv<1>(c, x, y, n);
    case 2: return conv<2>(c, x, y, n);
    case 3: return conv<3>(c, x, y, n);
    case 4: return conv<4>(c, x, y, n);
    case 5: return conv<5>(c, x, y, n);
    case 6: return conv<6>(c, x, y, n);
    case 7: return conv<7>(c, x, y, n);
    default: return conv<8>(c, x, y, n);
  }
}

void conv_planar_reference(const PlanarConv& c, ConstPlanes x, Planes y, Index n) {
  for (Index t = 0; t < n; ++t)
    for (Index o = 0; o < c.c_out; ++o) {
      Scalar sums[2] = {c.b ? c.b[o] : Scalar(0), Scalar(0)};  // even, odd
      for (Index k = 0; k < c.taps; ++k)
        for (Index i = 0; i < c.c_in; ++i)
          sums[i % 2] += c.w[(k * c.c_in + i) * c.c_out + o] * x.row(i)[t + k * c.dilation];
      y.row(o)[t] = sums[0] + sums[1];
    }
}

PlanarLayer planar_layer(const ResidualLayerWeightViews& w, const ResidualLayerShape& s) {
  using Kernel = PlanarLayer::Kernel;
  // Each channel count's two instances: tanh, and LeakyReLU or identity (which reads x.activation).
  static constexpr Kernel kTanh[] = {layer<1, true>, layer<2, true>, layer<3, true>, layer<4, true>,
                                     layer<5, true>, layer<6, true>, layer<7, true>, layer<8, true>};
  static constexpr Kernel kOther[] = {layer<1, false>, layer<2, false>, layer<3, false>, layer<4, false>,
                                      layer<5, false>, layer<6, false>, layer<7, false>, layer<8, false>};
  // Past 8 channels, the column kernel's order (see the top of this file).
  static constexpr Kernel kTanhSingle[] = {layer_single<9, true>, layer_single<10, true>, layer_single<11, true>,
                                           layer_single<12, true>};
  static constexpr Kernel kOtherSingle[] = {layer_single<9, false>, layer_single<10, false>, layer_single<11, false>,
                                            layer_single<12, false>};
  static_assert(std::size(kTanh) == kPlanarMaxChannels && std::size(kOther) == kPlanarMaxChannels);
  static_assert(std::size(kTanhSingle) == kPlanarMaxColumnChannels - kPlanarMaxChannels &&
                std::size(kOtherSingle) == std::size(kTanhSingle));
  const Index c = w.out.rows(), taps = w.conv.cols() / c;
  const bool single = c > kPlanarMaxChannels;
  const size_t instance = single ? static_cast<size_t>(std::min(c, kPlanarMaxColumnChannels) - kPlanarMaxChannels - 1)
                                 : static_cast<size_t>(std::clamp<Index>(c, 1, kPlanarMaxChannels) - 1);
  const bool tanh = s.activation == Activation::Tanh;
  const Kernel kernel = single ? (tanh ? kTanhSingle : kOtherSingle)[instance] : (tanh ? kTanh : kOther)[instance];
  return {w.conv.data(),
          w.conv_bias.data(),
          w.mixer.data(),
          w.out.data(),
          w.out_bias.data(),
          taps,
          s.dilation,
          (taps - 1) * s.dilation,
          w.mixer.cols(),
          s.activation,
          kernel,
          s.activation == Activation::Tanh ? tanh_vector::table() : nullptr};
}

void residual_layer_planar(const ResidualLayerWeightViews& w, const ResidualLayerShape& s, const PlanarBlock& b) {
  run(planar_layer(w, s), b);
}

void residual_layer_planar_reference(const ResidualLayerWeightViews& w, const ResidualLayerShape& s,
                                     const PlanarBlock& b) {
  const PlanarLayer x = planar_layer(w, s);
  const Index c = w.out.rows();
  // Past 8 channels one sum: every term goes into "even", and "odd" stays +0, which is not added.
  const Index parity = c > kPlanarMaxChannels ? 1 : 2;
  auto total = [&](const Scalar (&sums)[2]) { return parity == 1 ? sums[0] : sums[0] + sums[1]; };
  const Scalar slope = Scalar(kLeakyReluSlope);
  for (Index t = 0; t < b.n; ++t) {
    Scalar a[kPlanarMaxColumnChannels];
    for (Index o = 0; o < c; ++o) {
      Scalar sums[2] = {x.conv_bias[o], Scalar(0)};  // even, odd
      for (Index k = 0; k < x.taps; ++k)
        for (Index i = 0; i < c; ++i)
          sums[i % parity] += x.conv[(k * c + i) * c + o] * b.h.row(i)[t + k * x.dilation];
      for (Index j = 0; j < x.c_cond; ++j) sums[j % parity] += x.mixer[j * c + o] * b.condition.row(j)[t];
      const Scalar z = total(sums);
      a[o] = x.activation == Activation::Tanh        ? tanh_one(z)
             : x.activation == Activation::LeakyReLU ? (z > 0 ? z : slope * z)
                                                     : z;
      b.head.row(o)[t] = b.head_in ? b.head.row(o)[t] + a[o] : a[o];
    }
    for (Index o = 0; o < c; ++o) {
      Scalar sums[2] = {x.out_bias[o], Scalar(0)};
      for (Index i = 0; i < c; ++i) sums[i % parity] += x.out[i * c + o] * a[i];
      b.h_next.row(o)[t] = b.h.row(o)[x.reach + t] + total(sums);
    }
  }
}

}  // namespace namk

#pragma GCC diagnostic pop
