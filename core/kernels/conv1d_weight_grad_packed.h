// The weight gradient of a conv with 1 to 4 output channels, several time steps per vector.
// dW_k = sum_t dy(:, t) x(:, t + k*d)^T. The column kernel (conv1d_tuned.h) holds one time step's
// C_out outputs per vector, so at nano's 4 and 2 channels three quarters of every FMA or more did
// nothing. Here a vector holds S = kLanes / C_out time steps of dy as they lie in memory (dy's
// columns contiguous): lane j*C_out + o is dy(o, t + j). For input channel i, x's S columns (also
// contiguous, one or two loads) are spread by one shuffle so that lane j*C_out + o holds
// x(i, t + j + k*d); one FMA then adds S * C_out products of dW_k(:, i) at once, each lane its own
// time step. At the end the S lane groups are added: dW_k(o, i) is S partial sums over t ≡ j
// (mod S), added in order of j. Spreading x (one shuffle per tap and input channel) rather than dy
// (one per output channel, shared by the taps) ran x1.4 faster in a prototype at 4 channels,
// K = 3: the spread dy then fed four FMAs each, a longer dependency than the loads' shuffles.
// Against the column kernel, 512 columns in cache at 4 channels, K = 3: x2.1-2.3 (Zen 5).
// Floats with AVX-512 are where conv1d_backward dispatches it; the test runs it on any ISA.
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
      Vector64 lo, hi = Vector64{};
      if (x_count >= kLanes) {
        std::memcpy(&lo, xt, sizeof lo);
        if (x_count > kLanes) hi = load_first<Vector64>(xt + kLanes, x_count - kLanes);
      } else {
        lo = load_first<Vector64>(xt, x_count);
      }
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

}  // namespace
}  // namespace namk::conv1d_tuned

#pragma GCC diagnostic pop
