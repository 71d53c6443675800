// Streaming's time-major residual layer for tiny channel counts (C <= 4, A2-lite's 3): the same
// layer as residual_layer.h (not gated, LeakyReLU or identity), on planes (each channel's samples
// contiguous) instead of columns, so one vector holds 16 time steps of one channel and a dilated
// tap is a plain unaligned load. Every value gets the float operations of residual_layer_tiny.h's
// channel-pair order, per (channel, time) (see residual_layer_planar.cpp): the same bits as the
// training graph, where that kernel runs (floats with AVX-512, kPlanarStreaming).
// It writes neither z nor a (streaming reads neither) and leaves out gating and other activations.
#pragma once

#include <type_traits>

#include "core/kernels/residual_layer.h"
#include "core/kernels/tuned.h"

namespace namk {

// Planes of a (rows, cols) block: row r's cols samples at data + r * stride. Every plane of an
// argument stays readable (and, for outputs, writable) for kPlanarPad samples past its end: the
// kernel works in whole vectors and lets the last one run over, whatever the block's length.
// Passed by value (two registers): by reference, a callee's 16-byte copy of one the caller had just
// built with two 8-byte stores waited for them (no store forwarding): the two calls per layer
// fell from 8.5% to 5.7% of A2-lite's bench profile.
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

// Where streaming takes the planar path: where the training graph's layer takes the per-column
// tiny kernel, whose order it reproduces (residual_layer.cpp's dispatch). Elsewhere that order is
// not the training graph's, and the columns path stays.
#if defined(__AVX512F__)
inline constexpr bool kPlanarStreaming = kTunedKernels && sizeof(Scalar) == 4;
#else
inline constexpr bool kPlanarStreaming = false;
#endif

// Whether a layer of these shapes may run planar: channels (C) and condition rows, kernel size K.
// The tiny kernel's limits (residual_layer_tiny.h's applies()), so the training graph takes it too.
inline bool residual_planar_applies(Index channels, Index condition_channels, Index kernel_size,
                                    const ResidualLayerShape& s) {
  return channels >= 1 && channels <= 4 && !s.gated &&
         (s.activation == Activation::LeakyReLU || s.activation == Activation::Identity) &&
         condition_channels >= 1 && condition_channels <= 16 && kernel_size * ((channels + 1) / 2) <= 64 &&
         kernel_size * channels <= 128;
}

// h: (C, reach + n), reach = (K-1)*dilation; condition: (C_cond, n); head: (C, n), read (unless
// !head_in: the first layer's skip input is zero) and rewritten in place; h_next: (C, n), must not
// overlap h. w's matrices contiguous (outer stride = rows), as the streaming state holds them.
void residual_layer_planar(const ResidualLayerWeightViews& w, const ResidualLayerShape& s, ConstPlanes h,
                           ConstPlanes condition, bool head_in, Planes head, Planes h_next,
                           Index n);
// The same, one (channel, time) at a time in plain scalar loops with the same operations in the
// same order: the vector kernel's test oracle on any CPU.
void residual_layer_planar_reference(const ResidualLayerWeightViews& w, const ResidualLayerShape& s,
                                     ConstPlanes h, ConstPlanes condition, bool head_in,
                                     Planes head, Planes h_next, Index n);

}  // namespace namk
