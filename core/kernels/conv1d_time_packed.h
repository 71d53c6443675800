// Convs of a few channels with several time steps per vector, for the training graph's backward:
// the weight gradient at 1 to 4 output channels, and (below) the input gradient's conv at 1 or 2.
//
// The weight gradient, dW_k = sum_t dy(:, t) x(:, t + k*d)^T. The column kernel (conv1d_tuned.h)
// holds one time step's C_out outputs per vector, so at nano's 4 and 2 channels three quarters of
// every FMA or more did nothing. Here a vector holds S = kLanes / C_out time steps of dy as they lie
// in memory (dy's columns contiguous): lane j*C_out + o is dy(o, t + j). For input channel i, x's S
// columns (also contiguous, one or two loads) are spread by one shuffle so that lane j*C_out + o
// holds x(i, t + j + k*d); one FMA then adds S * C_out products of dW_k(:, i) at once, each lane its
// own time step. At the end the S lane groups are added: dW_k(o, i) is S partial sums over t ≡ j
// (mod S), added in order of j. Spreading x (one shuffle per tap and input channel) rather than dy
// (one per output channel, shared by the taps, with x's columns used as loaded) has more shuffles
// but measured x1.4 faster in a prototype at 4 channels, K = 3 (Zen 5; not explained). Against the
// column kernel, 512 columns in cache at 4 channels, K = 3: x2.1-2.3.
// Floats with AVX-512 are where conv1d_backward dispatches these; the tests run them on any ISA.
#pragma once

#include <algorithm>
#include <utility>

#include "core/kernels/conv1d_tuned.h"

// As in conv1d_tuned.h: 64-byte vectors cross only internal-linkage functions here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

namespace namk::conv1d_tuned {
namespace {

// Time steps per vector for C_out outputs, and whether a (C_out, C_in) shape fits: x's S columns
// must be at most two vectors (one two-source shuffle spreads a channel).
constexpr int packed_steps(int c_out) { return static_cast<int>(kLanes) / c_out; }
constexpr bool packed_shape_fits(int c_out, int c_in) {
  return c_out >= 1 && c_out <= 4 && c_in >= 1 && packed_steps(c_out) * c_in <= 2 * kLanes;
}

// Lane l = j*COUT + o of the result is input channel I at time step j: element j*CIN + I of the
// two vectors lo, hi taken as one array. Lanes past the S groups (C_out = 3: lane 15) take element
// I, a value of the same x, multiplied there by dy's zero lane and never read.
template <int COUT, int CIN, int I, size_t... L>
inline Vector64 spread_channel(const Vector64& lo, const Vector64& hi, std::index_sequence<L...>) {
  constexpr int steps = packed_steps(COUT);
  return __builtin_shufflevector(
      lo, hi, static_cast<int>(int(L) / COUT < steps ? (int(L) / COUT) * CIN + I : I)...);
}

// The `count` (<= 2 * kLanes) contiguous values from p as lo and hi, the lanes past them zero:
// what spread_channel takes, read with masked loads so nothing past the values is touched.
inline void load_values(const Scalar* p, Index count, Vector64& lo, Vector64& hi) {
  hi = Vector64{};
  if (count >= kLanes) {
    std::memcpy(&lo, p, sizeof lo);
    if (count > kLanes) hi = load_first<Vector64>(p + kLanes, count - kLanes);
  } else {
    lo = load_first<Vector64>(p, count);
  }
}

// Taps [k0, k0 + TB) over time steps [0, t_out) of one call: TB * CIN accumulators.
template <int COUT, int CIN, int TB>
void weight_grad_packed_taps(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, Index k0, MatRef& dw) {
  constexpr int steps = packed_steps(COUT), used = steps * COUT, x_values = steps * CIN;
  constexpr auto lane_indices = std::make_index_sequence<static_cast<size_t>(kLanes)>{};
  const Index t_out = dy.cols();
  const Scalar* gd = dy.data();
  const Scalar* xd = x.data() + k0 * dilation * CIN;
  Vector64 acc[TB][CIN];
  for (int k = 0; k < TB; ++k)
    for (int i = 0; i < CIN; ++i) acc[k][i] = Vector64{};
  // One group of S steps from t (TAIL: the last `count` < S steps, the other lanes zero). Whole
  // groups read exactly their own values (masked loads where a group is short of a vector), so
  // nothing past dy's or x's end is touched.
  auto group = [&]<bool TAIL>(Index t, Index count) {
    const Index g_count = TAIL ? count * COUT : used, x_count = TAIL ? count * CIN : x_values;
    Vector64 g;
    if (!TAIL && used == kLanes)
      std::memcpy(&g, gd + t * COUT, sizeof g);
    else
      g = load_first<Vector64>(gd + t * COUT, g_count);
    for (int k = 0; k < TB; ++k) {
      const Scalar* xt = xd + (t + k * dilation) * CIN;
      Vector64 lo, hi;
      load_values(xt, x_count, lo, hi);
      [&]<size_t... I>(std::index_sequence<I...>) {
        ((acc[k][I] += g * spread_channel<COUT, CIN, static_cast<int>(I)>(lo, hi, lane_indices)), ...);
      }(std::make_index_sequence<static_cast<size_t>(CIN)>{});
    }
  };
  Index t = 0;
  for (; t + steps <= t_out; t += steps) group.template operator()<false>(t, steps);
  if (t < t_out) group.template operator()<true>(t, t_out - t);
  for (int k = 0; k < TB; ++k)
    for (int i = 0; i < CIN; ++i) {
      Scalar* col = dw.col((k0 + k) * CIN + i).data();
      for (int o = 0; o < COUT; ++o) {
        Scalar sum = acc[k][i][o];
        for (int j = 1; j < steps; ++j) sum += acc[k][i][j * COUT + o];
        col[o] += sum;
      }
    }
}

// dw += the weight gradient of a (COUT, K*CIN) conv, x and dy with contiguous columns. Taps in
// passes of up to three (two at 8 input channels): the accumulators, the spread channel and the
// loads then stay within the 32 vector registers.
template <int COUT, int CIN>
void weight_grad_packed(const ConstMatRef& x, const ConstMatRef& dy, Index dilation, MatRef& dw) {
  static_assert(packed_shape_fits(COUT, CIN));
  constexpr int per_pass = CIN <= 7 ? 3 : 2;
  const Index taps = conv1d_kernel_size(dw.cols(), CIN);
  Index k = 0;
  for (; k + per_pass <= taps; k += per_pass) weight_grad_packed_taps<COUT, CIN, per_pass>(x, dy, dilation, k, dw);
  for (; k < taps; ++k) weight_grad_packed_taps<COUT, CIN, 1>(x, dy, dilation, k, dw);
}

// ---- The same packing for a conv's output: the input gradient of 1 or 2 input channels ----
//
// y(:, t) += sum_k sum_i w(:, k*CIN + i) x(i, t + k*d), y with COUT <= 2 rows. conv1d_backward's
// input gradient is this conv over dy with the taps' transposes (COUT = the layer's input
// channels): the channel-pair kernel it otherwise takes holds a column's COUT outputs in 2*COUT
// lanes of 8, two columns per vector, so at 2 channels half of each FMA and at 1 three quarters
// did nothing. Here lane j*COUT + o of an accumulator is y(o, t + j), S = kLanes / COUT time steps;
// per tap and input channel one shuffle spreads x's S columns (as in the weight gradient) and one
// FMA multiplies them by w(o, k*CIN + i) laid out the same way. Each output is one sum over the
// taps in order, input channels ascending within a tap, then y's value added: other bits than the
// channel-pair kernel's (a gradient, which no streaming path computes).
constexpr bool packed_output_fits(int c_out, int c_in) {
  return (c_out == 1 || c_out == 2) && c_in >= 1 && packed_steps(c_out) * c_in <= 2 * kLanes;
}
// At most this many (tap, input channel) weight vectors, kept in registers.
constexpr Index kPackedOutputMaxWeights = 8;

template <int COUT, int CIN>
void conv_packed_accumulate(const ConstMatRef& x, const ConstMatRef& w, Index dilation, MatRef& y) {
  static_assert(packed_output_fits(COUT, CIN));
  constexpr int steps = packed_steps(COUT), used = steps * COUT, x_values = steps * CIN;
  constexpr auto lane_indices = std::make_index_sequence<static_cast<size_t>(kLanes)>{};
  const Index taps = w.cols() / CIN, t_out = y.cols();
  Vector64 weights[kPackedOutputMaxWeights];
  for (Index k = 0; k < taps; ++k)
    for (int i = 0; i < CIN; ++i) {
      Vector64& v = weights[k * CIN + i];
      v = Vector64{};
      for (int l = 0; l < used; ++l) v[l] = w(l % COUT, k * CIN + i);
    }
  const Scalar* xd = x.data();
  Scalar* yd = y.data();
  // G groups of S steps from t, the last group `count` < S steps when TAIL (masked loads and a
  // masked store: nothing outside x or y is touched). G independent sums keep the FMA units busy
  // through each sum's chain of K * CIN FMAs.
  auto groups = [&]<int G, bool TAIL>(Index t, Index count) {
    Vector64 acc[G];
    for (int g = 0; g < G; ++g) acc[g] = Vector64{};
    for (Index k = 0; k < taps; ++k)
      for (int g = 0; g < G; ++g) {
        const Scalar* xt = xd + (t + g * steps + k * dilation) * CIN;
        const Index x_count = TAIL ? count * CIN : x_values;
        Vector64 lo, hi;
        load_values(xt, x_count, lo, hi);
        [&]<size_t... I>(std::index_sequence<I...>) {
          ((acc[g] += weights[k * CIN + static_cast<Index>(I)] *
                      spread_channel<COUT, CIN, static_cast<int>(I)>(lo, hi, lane_indices)),
           ...);
        }(std::make_index_sequence<static_cast<size_t>(CIN)>{});
      }
    for (int g = 0; g < G; ++g) {
      Scalar* yt = yd + (t + g * steps) * COUT;
      const Index y_count = TAIL ? count * COUT : used;
      store_first<Vector64>(yt, load_first<Vector64>(yt, y_count) + acc[g], y_count);
    }
  };
  constexpr int kGroups = 8;
  Index t = 0;
  for (; t + kGroups * steps <= t_out; t += kGroups * steps) groups.template operator()<kGroups, false>(t, steps);
  for (; t + steps <= t_out; t += steps) groups.template operator()<1, false>(t, steps);
  if (t < t_out) groups.template operator()<1, true>(t, t_out - t);
}

}  // namespace
}  // namespace namk::conv1d_tuned

#pragma GCC diagnostic pop
