// Every tuned conv kernel of conv1d_tuned.h, called directly, against the reference loops of
// conv1d_reference.cpp. The dispatchers take the channel-pair kernels only on AVX-512 and each
// column kernel only for some shapes; here every variant runs on whatever ISA builds the test (GCC
// lowers the 64-byte vectors to SSE2 or AVX registers), in both the tuned and the reference build.
#include <doctest/doctest.h>

// See conv1d_tuned.h: 64-byte vectors cross only internal-linkage functions here.
#pragma GCC diagnostic ignored "-Wpsabi"

#include "core/kernels/conv1d_tuned.h"
#include "core/kernels/conv1d_time_packed.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;
using namespace namk::conv1d_tuned;

namespace {

const double kTol = kDouble ? 1e-12 : 1e-5;

// A forward kernel under test: the signature every variant below shares.
using Forward = void (*)(const ConstMatRef&, const ConstMatRef&, const ConstMatRef&, Index, MatRef&,
                         const Conv1dExtras&);

// Random inputs of one shape, with a side input and a residual, through the kernel and the
// reference; also each column alone, which must give the same bits as the whole block.
void check_forward(Forward kernel, Index c_out, Index c_in, Index taps, Index c_side, std::mt19937_64& rng) {
  CAPTURE(c_out);
  CAPTURE(c_in);
  CAPTURE(taps);
  CAPTURE(c_side);
  const Index d = 3, len = 45, reach = (taps - 1) * d;
  const Mat x = random_mat(c_in, len + reach, rng), w = random_mat(c_out, taps * c_in, rng),
            b = random_mat(c_out, 1, rng), side = random_mat(c_side, len, rng),
            side_w = random_mat(c_out, c_side, rng), residual = random_mat(c_out, len, rng);
  const Conv1dExtras extras{side, side_w, residual};
  Mat expected(c_out, len), y = Mat::Zero(c_out, len), y_one = Mat::Zero(c_out, len);
  conv1d_forward_naive(x, w, b, d, expected, extras);
  MatRef y_ref(y);
  kernel(x, w, b, d, y_ref, extras);
  CHECK((y - expected).cwiseAbs().maxCoeff() < kTol * (1 + c_in * taps + c_side));
  for (Index t = 0; t < len; ++t) {
    MatRef column(y_one.col(t));
    kernel(x.middleCols(t, reach + 1), w, b, d, column,
           Conv1dExtras{side.col(t), side_w, residual.col(t)});
  }
  CHECK((y_one.array() == y.array()).all());
}

// The weight gradient of one shape, accumulated onto a non-zero start, against the reference.
template <typename Kernel>
void check_weight_grad(Kernel kernel, Index c_out, Index c_in, Index taps, Index len, std::mt19937_64& rng) {
  CAPTURE(c_out);
  CAPTURE(c_in);
  CAPTURE(taps);
  CAPTURE(len);
  const Index d = 2;
  const Mat x = random_mat(c_in, len + (taps - 1) * d, rng), w = random_mat(c_out, taps * c_in, rng),
            dy = random_mat(c_out, len, rng);
  Mat dw = Mat::Ones(c_out, taps * c_in), expected = dw;
  conv1d_backward_naive(x, w, dy, d, empty_mat(), expected, empty_mat());
  MatRef dw_ref(dw);
  kernel(ConstMatRef(x), ConstMatRef(dy), d, dw_ref);
  CHECK((dw - expected).cwiseAbs().maxCoeff() < kTol * (1 + len));
}

constexpr Index kLanes32 = sizeof(Vector32) / sizeof(Scalar);

}  // namespace

TEST_CASE("tuned conv: every column-kernel variant equals the reference, forward and weight gradient") {
  std::mt19937_64 rng(41);
  // Forward: one, two, three and four vectors per column, short and full; the compile-time C_in
  // and K variants need x contiguous with C_in = kLanes.
  for (Index c_in : {1, 5, 8}) {
    for (Index c_out : {Index(1), kLanes32 - 1, kLanes32})
      check_forward(forward_columns<Vector32, 1, 8>, c_out, c_in, 3, 2, rng);
    for (Index c_out : {Index(3), kLanes - 1, kLanes}) {
      check_forward(forward_columns<Vector64, 1, 8>, c_out, c_in, 3, 2, rng);
      check_forward(forward_columns<Vector64, 1, 16>, c_out, c_in, 2, 1, rng);
    }
    for (Index c_out : {kLanes + 1, 2 * kLanes}) check_forward(forward_columns<Vector64, 2, 4>, c_out, c_in, 3, 3, rng);
    if constexpr (3 * kLanes <= kMaxRows) {
      check_forward(forward_columns<Vector64, 3, 2>, 3 * kLanes, c_in, 3, 1, rng);
      check_forward(forward_columns<Vector64, 4, 2>, 3 * kLanes + 1, c_in, 1, 1, rng);
    }
  }
  for (Index c_out : {Index(5), kLanes}) {
    check_forward(forward_columns<Vector64, 1, 16, kLanes, 3>, c_out, kLanes, 3, 2, rng);
    check_forward(forward_columns<Vector64, 1, 16, kLanes, 1>, c_out, kLanes, 1, 0, rng);
  }
  // Lite's 12 channels, C_out fixed at compile time too (short columns: masked or fixed-size
  // copies); floats only, where a vector holds 12.
  if constexpr (kLanes >= 12) {
    check_forward(forward_columns<Vector64, 1, 16, 12, 3, 12>, 12, 12, 3, 1, rng);
    check_forward(forward_columns<Vector64, 1, 16, 12, 1, 12>, 12, 12, 1, 0, rng);
    check_forward(forward_columns<Vector64, 1, 8, 12, 3, 12>, 12, 12, 3, 2, rng);
  }

  // Weight gradient: FULL when C_out fills the vectors, else the short-column loads.
  for (Index len : {1, 7, 600})
    for (Index c_in : {1, 3, 5, 6, 11, 12, 16}) {
      check_weight_grad(weight_grad_columns<Vector32, 1, true>, kLanes32, c_in, 3, len, rng);
      check_weight_grad(weight_grad_columns<Vector32, 1, false>, kLanes32 - 1, c_in, 3, len, rng);
      check_weight_grad(weight_grad_columns<Vector64, 1, true>, kLanes, c_in, 2, len, rng);
      check_weight_grad(weight_grad_columns<Vector64, 1, false>, 3, c_in, 1, len, rng);
      check_weight_grad(weight_grad_columns<Vector64, 2, true>, 2 * kLanes, c_in, 3, len, rng);
      check_weight_grad(weight_grad_columns<Vector64, 2, false>, kLanes + 3, c_in, 3, len, rng);
    }
}

TEST_CASE("tuned conv: the channel-pair kernels equal the reference on any ISA") {
  std::mt19937_64 rng(43);
  const Index half = kLanes / 2;
  // The runtime-shape kernel over every shape; odd C_in and odd side widths use the lone-channel
  // broadcast, C_out = half packs two columns per store. Then some of the compile-time variants
  // the dispatcher picks for the presets (K = 3 with C_in up to 8, K = 1 up to 16, x contiguous);
  // the AVX-512 build runs all of them through conv1d_forward in test_conv1d.cpp.
  for (Index c_out : {Index(1), Index(3), half})
    for (Index c_in : {1, 2, 5, 8, 16})
      for (Index taps : {1, 2, 3})
        for (Index c_side : {0, 1, 2})
          check_forward(forward_channel_pairs<8, 0, 0>, c_out, c_in, taps, c_side, rng);
  for (Index c_out : {Index(3), half}) {
    check_forward(forward_channel_pairs<16, 3, 4>, c_out, 8, 3, 2, rng);
    check_forward(forward_channel_pairs<16, 3, 1>, c_out, 2, 3, 1, rng);
    check_forward(forward_channel_pairs<16, 1, 8>, c_out, 16, 1, 0, rng);
  }
  // C_out fixed at compile time (the presets' 8, 6, 4 and 2 channels): C to C with K = 3 and 1,
  // 2C to C with K = 1, two short columns per store. Up to half the lanes (4 for doubles).
  auto fixed_out = [&]<int C>() {
    if constexpr (C <= kLanes / 2) {
      check_forward(forward_channel_pairs<16, 3, C / 2, C>, C, C, 3, 1, rng);
      check_forward(forward_channel_pairs<16, 3, C / 2, C>, C, C, 3, 2, rng);
      check_forward(forward_channel_pairs<16, 1, C / 2, C>, C, C, 1, 0, rng);
      check_forward(forward_channel_pairs<16, 1, C, C>, C, 2 * C, 1, 0, rng);
    }
  };
  fixed_out.template operator()<8>();
  fixed_out.template operator()<6>();
  fixed_out.template operator()<4>();
  fixed_out.template operator()<2>();
  for (Index len : {1, 5, 300}) {
    check_weight_grad(weight_grad_channel_pairs<Vector64, 3, 4>, half, 8, 3, len, rng);
    check_weight_grad(weight_grad_channel_pairs<Vector64, 1, 4>, half, 8, 1, len, rng);
    check_weight_grad(weight_grad_channel_pairs<Vector64, 1, 8>, half, 16, 1, len, rng);
    check_weight_grad(weight_grad_channel_pairs<Vector64, 2, 1>, half, 2, 2, len, rng);
  }
}

TEST_CASE("tuned conv: the time-packed weight gradient equals the reference for every shape it takes") {
  std::mt19937_64 rng(47);
  // Every shape conv1d_backward dispatches to it; lengths with no whole group of time steps (1),
  // a short last group (5, 601) and whole groups only (16, 600); tap counts that are one pass,
  // several, and passes plus single taps (per_pass 3, or 2 at 8 input channels).
  auto shape = [&]<int COUT, int CIN>() {
    for (Index len : {1, 5, 16, 600, 601})
      for (Index taps : {1, 2, 3, 4, 7}) check_weight_grad(weight_grad_packed<COUT, CIN>, COUT, CIN, taps, len, rng);
  };
  shape.template operator()<4, 4>();
  shape.template operator()<4, 1>();
  shape.template operator()<4, 2>();
  shape.template operator()<4, 8>();
  shape.template operator()<3, 3>();
  shape.template operator()<3, 1>();
  shape.template operator()<2, 2>();
  shape.template operator()<2, 1>();
  shape.template operator()<2, 4>();
  shape.template operator()<1, 1>();
  shape.template operator()<1, 2>();
}

TEST_CASE("tuned conv: the time-packed conv (input gradients of 1 and 2 channels) equals the reference") {
  std::mt19937_64 rng(61);
  // y += conv(x, w) onto a non-zero y, for every shape conv1d_backward dispatches to it: lengths
  // with no whole group (1), a short last group (5, 601), whole groups only (16), enough for the
  // eight-group blocks and not (600); tap counts up to the eight weight vectors it keeps.
  auto shape = [&]<int COUT, int CIN>() {
    for (Index len : {1, 5, 16, 600, 601})
      for (Index taps = 1; taps * CIN <= kPackedOutputMaxWeights; ++taps)
        for (Index d : {1, 7}) {
          CAPTURE(COUT);
          CAPTURE(CIN);
          CAPTURE(len);
          CAPTURE(taps);
          CAPTURE(d);
          const Mat x = random_mat(CIN, len + (taps - 1) * d, rng), w = random_mat(COUT, taps * CIN, rng),
                    start = random_mat(COUT, len, rng);
          Mat expected(COUT, len), y = start;
          conv1d_forward_naive(x, w, empty_mat(), d, expected, Conv1dExtras{empty_mat(), empty_mat(), start});
          MatRef y_ref(y);
          conv_packed_accumulate<COUT, CIN>(ConstMatRef(x), ConstMatRef(w), d, y_ref);
          CHECK((y - expected).cwiseAbs().maxCoeff() < kTol * (1 + CIN * taps));
        }
  };
  shape.template operator()<2, 2>();
  shape.template operator()<2, 1>();
  shape.template operator()<2, 4>();
  shape.template operator()<1, 1>();
  shape.template operator()<1, 2>();
}

TEST_CASE("tuned conv: the 3-to-1 kernel (eight columns per vector) equals the channel-pair kernel bit for bit") {
  if constexpr (kLanes == 16) {
    std::mt19937_64 rng(47);
    for (Index taps : {1, 6, 16})
      for (Index len : {8, 45, 77, 200}) {
        CAPTURE(taps);
        CAPTURE(len);
        const Index d = 3, reach = (taps - 1) * d;
        const Mat x = random_mat(3, len + reach, rng), w = random_mat(1, taps * 3, rng), b = random_mat(1, 1, rng);
        Mat pairs(1, len), fast = Mat::Constant(1, len, Scalar(9)), expected(1, len);
        MatRef pairs_ref(pairs), fast_ref(fast);
        forward_channel_pairs<8, 0, 0>(x, w, b, d, pairs_ref, Conv1dExtras{});
        // As conv1d.cpp dispatches it: whole groups of 8 columns, the rest by the channel-pair kernel.
        const Index done = forward_three_to_one(x, w, b, d, fast_ref);
        CHECK(done == len / 8 * 8);
        MatRef rest = fast.middleCols(done, len - done);
        forward_channel_pairs<8, 0, 0>(x.middleCols(done, len - done + reach), w, b, d, rest, Conv1dExtras{});
        conv1d_forward_naive(x, w, b, d, expected);
        CHECK((fast.array() == pairs.array()).all());
        CHECK((fast - expected).cwiseAbs().maxCoeff() < kTol * double(1 + 3 * taps));
      }
  }
}

TEST_CASE("tuned conv: the vector bias gradient equals the row sums") {
  // Whole vectors (16 and 8 rows for floats) and short columns read with masked loads (lite's 12
  // and 6, nano's 4, a head's 1), each column the last thing in its matrix.
  std::mt19937_64 rng(47);
  for (Index rows : {Index(1), Index(3), Index(6), kLanes32 - 1, kLanes32, kLanes - 1, kLanes})
    for (Index cols : {1, 3, 4, 9, 200}) {
      CAPTURE(rows);
      CAPTURE(cols);
      const Mat dy = random_mat(rows, cols, rng);
      Mat db = Mat::Ones(rows, 1);
      MatRef r(db);
      if (rows <= kLanes32)
        bias_grad_vector<Vector32>(ConstMatRef(dy), r);
      else
        bias_grad_vector<Vector64>(ConstMatRef(dy), r);
      CHECK((db - (Mat::Ones(rows, 1) + dy.rowwise().sum())).cwiseAbs().maxCoeff() < kTol * cols);
    }
}
