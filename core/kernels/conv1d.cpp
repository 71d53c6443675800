// See conv1d.h. The forward's dispatch: the reference loops when NAMK_TUNED_KERNELS is OFF, else the
// small-channel kernels of conv1d_tuned.h by shape, else one GEMM per tap. Why one GEMM per tap:
// each tap's input is a contiguous block of columns (no im2col copy), and the same kernel then
// serves training over a whole item and streaming over a ring buffer. Small channel counts
// (C_out <= 32, the WaveNet presets) take a column kernel instead: Eigen's GEMM packs its operands
// on every call, which for 16x16 blocks costs as much as the arithmetic, and its blocking depends
// on T, so a time step's rounding would depend on the block it was computed in.
#include "core/kernels/conv1d.h"

#include <type_traits>

#include "core/kernels/conv1d_tuned.h"
#include "core/kernels/tuned.h"

namespace namk {

using namespace conv1d_tuned;

namespace {
// Column groups for one-register columns: with AVX-512, 16 columns leave each accumulator's FMA
// chain slack to hide latency (8 only just cover it); split over narrower registers they would spill.
constexpr int kWideColumns = kRegisterBytes == 64 ? 16 : small_columns<Vector64, 1>();

// Lite's 12-channel layers (K = 3 or 1, C to C) as compile-time shapes, and any other conv into 12
// rows (lite's rechannel from the audio, 1 to 12) with the output's 12 rows fixed: its short
// columns are then stored with one masked store each, where the generic instance stored them value
// by value from the accumulator (5% of lite's streaming at block 64, for 24 FLOPs a sample). False
// where a vector holds fewer than 12 scalars (doubles).
template <typename A>
bool twelve_channels(const typename A::In& x, const typename A::In& w, const typename A::In& b, Index dilation,
                     typename A::Out& y, const typename A::Extras& e, Index taps, bool square) {
  if constexpr (kLanes >= 12) {
    if (square && taps == 3)
      return forward_columns<Vector64, 1, kWideColumns, 12, 3, 12, A>(x, w, b, dilation, y, e), true;
    if (square && taps == 1)
      return forward_columns<Vector64, 1, kWideColumns, 12, 1, 12, A>(x, w, b, dilation, y, e), true;
    return forward_columns<Vector64, 1, small_columns<Vector64, 1>(), 0, 0, 12, A>(x, w, b, dilation, y, e), true;
  }
  return false;
}
}  // namespace

namespace {
// Whether (and how) the small-channel kernel takes this shape; false leaves it to the GEMM path.
// Refs (or views) by reference, as every kernel below takes them.
template <typename A>
bool forward_small(const typename A::In& x, const typename A::In& w, const typename A::In& b, Index dilation,
                   typename A::Out& y, const typename A::Extras& e) {
  const Index c_out = y.rows();
  if (c_out > kMaxRows || w.cols() > kMaxWeightCols || e.side.rows() > kMaxSideRows ||
      y.cols() == 0 || x.rows() == 0)
    return false;
  constexpr Index lanes = kLanes;
#if defined(__AVX512F__)
  if (c_out <= lanes / 2 && sizeof(Scalar) == 4) {
    // A2-lite's head (3 channels to 1, no extras): eight columns per vector, the same bits.
    if (c_out == 1 && x.rows() == 3 && x.outerStride() == 3 && w.outerStride() == 1 && e.side.size() == 0 &&
        e.residual.size() == 0) {
      const Index done = forward_three_to_one<4, A>(x, w, b, dilation, y);
      if (done == y.cols()) return true;
      const Index rest = y.cols() - done, reach = x.cols() - y.cols();
      const typename A::In x_rest = middle_cols(x, done, rest + reach);
      std::remove_const_t<typename A::Out> y_rest = middle_cols(y, done, rest);
      channel_pairs<A>(x_rest, w, b, dilation, y_rest, e);
      return true;
    }
    channel_pairs<A>(x, w, b, dilation, y, e);
    return true;
  }
#endif
  if (c_out <= lanes / 2)
    forward_columns<Vector32, 1, small_columns<Vector32, 1>(), 0, 0, 0, A>(x, w, b, dilation, y, e);
  else if (c_out <= lanes) {
    // Compile-time shapes for the presets' layers, C to C with K = 3 or 1: 16 channels (standard)
    // and 12 (lite, three quarters of a 16-lane vector).
    const Index taps = conv1d_kernel_size(w.cols(), x.rows());
    const bool square = x.rows() == c_out && x.outerStride() == c_out;
    if (square && c_out == lanes && taps == 3)
      forward_columns<Vector64, 1, kWideColumns, lanes, 3, 0, A>(x, w, b, dilation, y, e);
    else if (square && c_out == lanes && taps == 1)
      forward_columns<Vector64, 1, kWideColumns, lanes, 1, 0, A>(x, w, b, dilation, y, e);
    else if (c_out != 12 || !twelve_channels<A>(x, w, b, dilation, y, e, taps, square))
      forward_columns<Vector64, 1, small_columns<Vector64, 1>(), 0, 0, 0, A>(x, w, b, dilation, y, e);
  }
  else if (c_out <= 2 * lanes)
    forward_columns<Vector64, 2, small_columns<Vector64, 2>(), 0, 0, 0, A>(x, w, b, dilation, y, e);
  else if constexpr (3 * lanes <= kMaxRows) {
    if (c_out <= 3 * lanes)
      forward_columns<Vector64, 3, small_columns<Vector64, 3>(), 0, 0, 0, A>(x, w, b, dilation, y, e);
    else
      forward_columns<Vector64, 4, small_columns<Vector64, 4>(), 0, 0, 0, A>(x, w, b, dilation, y, e);
  } else {
    return false;
  }
  return true;
}
}  // namespace

bool conv1d_forward_small(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                          const Conv1dExtras& e) {
  return forward_small<RefArgs>(x, w, b, dilation, y, e);
}

void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  conv1d_forward_refs(x, w, b, dilation, y, Conv1dExtras{});
}

void conv1d_forward(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y,
                    const Conv1dExtras& extras) {
  conv1d_forward_refs(x, w, b, dilation, y, extras);
}

void conv1d_forward_refs(const ConstMatRef& x, const ConstMatRef& w, const ConstMatRef& b, Index dilation, MatRef& y,
                         const Conv1dExtras& extras) {
  if constexpr (!kTunedKernels) return conv1d_forward_naive(x, w, b, dilation, y, extras);
  if (forward_small<RefArgs>(x, w, b, dilation, y, extras)) return;
  conv1d_forward_generic(x, w, b, dilation, y);
  if (extras.side.size() > 0) y.noalias() += extras.side_weight * extras.side;
  if (extras.residual.size() > 0) y += extras.residual;
}

void conv1d_forward_views(const ConstMatView& x, const ConstMatView& w, const ConstMatView& b, Index dilation,
                          const MatView& y, const Conv1dViewExtras& extras) {
  if constexpr (kTunedKernels)
    if (forward_small<ViewArgs>(x, w, b, dilation, y, extras)) return;
  // Shapes the small kernels leave (and the reference build): the Ref path, which sends them on.
  auto y_map = as_eigen(y);
  MatRef y_ref(y_map);
  conv1d_forward_refs(as_eigen(x), as_eigen(w), as_eigen(b), dilation, y_ref,
                      Conv1dExtras{as_eigen(extras.side), as_eigen(extras.side_weight), as_eigen(extras.residual),
                                   extras.packed});
}

void conv1d_pack([[maybe_unused]] const ConstMatRef& w, [[maybe_unused]] const ConstMatRef& b,
                 [[maybe_unused]] const ConstMatRef& side_weight, [[maybe_unused]] Index c_in, Mat& packed) {
#if defined(__AVX512F__)
  if constexpr (kTunedKernels && sizeof(Scalar) == 4) {
    // forward_small's choice of the channel-pair kernel (its other conditions concern the data).
    if (w.rows() <= kLanes / 2 && w.cols() <= kMaxWeightCols && side_weight.cols() <= kMaxSideRows) {
      packed.resize(kLanes, channel_pairs_packed_vectors(w, c_in, side_weight.cols()));
      pack_channel_pairs(w, b, side_weight, c_in, packed.data());
      return;
    }
    // The column kernel's short columns (forward_columns): w's columns, then the side weight's,
    // each zero-padded to a whole vector.
    if (short_columns_packed(w.rows(), kLanes) && w.cols() <= kMaxWeightCols && side_weight.cols() <= kMaxSideRows) {
      packed.setZero(kLanes, w.cols() + side_weight.cols());
      packed.topLeftCorner(w.rows(), w.cols()) = w;
      if (side_weight.size() > 0) packed.block(0, w.cols(), w.rows(), side_weight.cols()) = side_weight;
      return;
    }
  }
#endif
  packed.resize(0, 0);
}

void conv1d_forward_generic(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index dilation, MatRef y) {
  const Index c_in = x.rows(), taps = conv1d_kernel_size(w.cols(), c_in), t_out = y.cols();
  if (b.size() > 0)
    y.colwise() = b.col(0);
  else
    y.setZero();
  for (Index k = 0; k < taps; ++k)
    y.noalias() += w.middleCols(k * c_in, c_in) * x.middleCols(k * dilation, t_out);
}

}  // namespace namk
