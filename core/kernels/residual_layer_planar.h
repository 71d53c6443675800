// Streaming's time-major residual layer for small channel counts (C <= 12: A2-lite's 3, nano's 4
// and 2, feather's 8 and 4, lite's 12 and 6, standard's second array's 8): the same layer as
// residual_layer.h (not gated; tanh, LeakyReLU or identity), on planes (each channel's samples
// contiguous) instead of columns, so one vector holds 16 time steps of one channel and a dilated
// tap is a plain unaligned load. Every value gets the float operations of conv1d's channel-pair
// order (which the training graph's conv and 1x1 take for these shapes, and residual_layer_tiny.h
// reproduces up to 4 channels), or past 8 channels the column kernel's, per (channel, time) (see
// residual_layer_planar.cpp), and tanh in tanh_array's form: the same bits as the training graph,
// where those kernels run (floats with AVX-512, kPlanarStreaming).
// It writes neither z nor a (streaming reads neither) and leaves out gating and other activations.
#pragma once

#include <type_traits>

#include "core/kernels/residual_layer.h"
#include "core/kernels/tuned.h"

namespace namk {

// Planes of a (rows, cols) block: row r's cols samples at data + r * stride. Every plane of an
// argument stays readable (and, for outputs, writable) for kPlanarPad samples past its end: the
// kernel works in whole vectors and lets the last one run over, whatever the block's length.
template <typename T>
struct PlanesOf {
  T* data = nullptr;
  Index stride = 0;
  T* row(Index r) const { return data + r * stride; }
  // Writable planes read as read-only ones.
  operator PlanesOf<const T>() const
    requires(!std::is_const_v<T>)
  {
    return {data, stride};
  }
};
using Planes = PlanesOf<Scalar>;
using ConstPlanes = PlanesOf<const Scalar>;
inline constexpr Index kPlanarPad = 64 / sizeof(Scalar);

// Where streaming takes the planar path: where the training graph's layer takes the channel-pair
// kernels (or, up to 4 channels, the per-column tiny kernel in their order), which it reproduces
// (residual_layer.cpp's and conv1d.cpp's dispatch). Elsewhere that order is not the training
// graph's, and the columns path stays.
#if defined(__AVX512F__)
inline constexpr bool kPlanarStreaming = kTunedKernels && sizeof(Scalar) == 4;
#else
inline constexpr bool kPlanarStreaming = false;
#endif

// Whether a layer of these shapes may run planar: channels (C) and condition rows, kernel size K.
// Within the channel-pair kernel's limits (C_out <= 8, K * C <= 128 weight columns, 16 condition
// rows) and, up to 4 channels, the tiny kernel's (residual_layer_tiny.h's applies()), so the
// training graph takes them too. Why 8: a (channel, vector) pair of sums each for C channels is 2C
// accumulators, and 16 of AVX-512's 32 registers is as far as they go beside the inputs.
inline constexpr Index kPlanarMaxChannels = 8;
// Past 8 channels the training graph's conv and 1x1 take the column kernel instead (conv1d_tuned.h's
// forward_columns: one sum per output, bias, taps in order with input channels ascending, then the
// condition rows; lite's 12 channels), and a planar layer of 9 to 12 channels adds in that order.
// Why planar there too: a 12-channel column fills 12 of a vector's 16 lanes, so the column kernel
// spends a whole FMA (and a tanh vector) on 12 values, and half its 48-byte columns straddle two
// cache lines; on planes every lane is a time step of use. Why 12: C sums and C activations per
// vector of time steps, beside the tanh table's twelve registers.
inline constexpr Index kPlanarMaxColumnChannels = 12;
inline bool residual_planar_applies(Index channels, Index condition_channels, Index kernel_size,
                                    const ResidualLayerShape& s) {
  const bool form = !s.gated && (s.activation == Activation::Tanh || s.activation == Activation::LeakyReLU ||
                                 s.activation == Activation::Identity);
  // The column kernels' limits (128 weight columns, 16 condition rows), and for the pairs 64 of them.
  const bool small = channels >= 1 && condition_channels >= 1 && condition_channels <= 16 &&
                     kernel_size * channels <= 128;
  if (channels <= kPlanarMaxChannels) return form && small && kernel_size * ((channels + 1) / 2) <= 64;
  return form && small && channels <= kPlanarMaxColumnChannels;
}

// One block of a planar layer. h: (C, reach + n), reach = (K-1)*dilation; condition: (C_cond, n);
// head: (C, n), read (unless !head_in: the first layer's skip input is zero) and rewritten in
// place; h_next: (C, n), must not overlap h.
// Passed by reference, and read member by member, never copied whole: the caller builds it with
// 8-byte stores just before the call, and a 16-byte copy of a Planes (GCC's, for a by-value
// argument beyond the six in registers) waits for those stores instead of taking them from the
// store buffer. Passed by value, the layer's two calls spent a fifth of A2-lite's block-16 time
// there.
struct PlanarBlock {
  ConstPlanes h, condition;
  Planes head, h_next;
  Index n = 0;
  bool head_in = false;
};

// A layer's kernel, chosen once, with what stays the same from block to block: the instance for
// its channel count and activation, its weights' addresses, taps, dilation and condition rows.
// Streaming keeps one per layer and calls run() per block: choosing the instance and building its
// arguments at every call was a tenth of nano's time in blocks of 16 (twenty layers, a few dozen
// samples of work each).
struct PlanarLayer {
  using Kernel = void (*)(const PlanarLayer&, const PlanarBlock&);
  const Scalar *conv = nullptr, *conv_bias = nullptr, *mixer = nullptr, *out = nullptr, *out_bias = nullptr;
  Index taps = 0, dilation = 0, reach = 0, c_cond = 0;
  Activation activation = Activation::Identity;
  Kernel kernel = nullptr;
  // tanh's coefficient table (tanh_vector.h) when the kernel takes tanh: its address is a call into
  // another file, made here once rather than at every block of every layer.
  const float* tanh_table = nullptr;
};
// w's matrices contiguous (outer stride = rows), as the streaming state holds them; the result
// holds their addresses, so they must stay where they are (refilled in place is fine: FiLM folds).
PlanarLayer planar_layer(const ResidualLayerWeightViews& w, const ResidualLayerShape& s);
inline void run(const PlanarLayer& l, const PlanarBlock& b) { l.kernel(l, b); }

// The same, chosen at the call.
void residual_layer_planar(const ResidualLayerWeightViews& w, const ResidualLayerShape& s, const PlanarBlock& b);
// The same, one (channel, time) at a time in plain scalar loops with the same operations in the
// same order: the vector kernel's test oracle on any CPU.
void residual_layer_planar_reference(const ResidualLayerWeightViews& w, const ResidualLayerShape& s,
                                     const PlanarBlock& b);

// A conv on planes, a layer array's rechannel and head (1x1s, or A2's 16-tap head): y (C_out, n)
// from x's window (C_in, reach + n), reach = (taps - 1) * dilation, plus a bias. Each value in the
// channel-pair order, which the training graph's conv takes for these shapes (forward_channel_pairs,
// or forward_three_to_one in the same order): per output o, "even" from b(o) (or zero) and "odd"
// from zero; per tap in order, input row i adds into even when i is even, odd when odd, i
// ascending; y = even + odd. Streaming's planar arrays then convert their input and head to and
// from planes around these instead of running a tiny column conv each (a fifth of nano's time in
// blocks of 16 went to its four).
struct PlanarConv {
  const Scalar* w = nullptr;  // (C_out, taps * C_in) contiguous: (o, k * C_in + i) at (k * C_in + i) * C_out + o
  const Scalar* b = nullptr;  // C_out values, or null: no bias
  Index c_in = 1, c_out = 1, taps = 1, dilation = 1;
};
bool conv_planar_applies(Index c_in, Index c_out, Index taps);
void conv_planar(const PlanarConv& c, ConstPlanes x, Planes y, Index n);
// The same, one value at a time in scalar loops: the vector kernel's oracle on any CPU.
void conv_planar_reference(const PlanarConv& c, ConstPlanes x, Planes y, Index n);

}  // namespace namk
