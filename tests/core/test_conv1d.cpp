// The fast conv kernels (small-channel column kernel, one GEMM per tap) against the naive loops.
#include <doctest/doctest.h>

#include "core/kernels/conv1d.h"
#include "core/kernels/tuned.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {
// residual + (b + conv(x) + side_w * side): the naive conv with the two extras written out term by
// term, the oracle of every path that takes Conv1dExtras.
Mat conv_with_extras_by_hand(ConstMatRef x, ConstMatRef w, ConstMatRef b, Index d, ConstMatRef side,
                             ConstMatRef side_w, ConstMatRef residual) {
  Mat expected(residual.rows(), residual.cols());
  conv1d_forward_naive(x, w, b, d, expected);
  for (Index t = 0; t < expected.cols(); ++t)
    for (Index o = 0; o < expected.rows(); ++o) {
      Scalar s = 0;
      for (Index j = 0; j < side.rows(); ++j) s += side_w(o, j) * side(j, t);
      expected(o, t) = residual(o, t) + (expected(o, t) + s);
    }
  return expected;
}
}  // namespace

TEST_CASE("fast conv1d equals the naive loop, forward and backward") {
  std::mt19937_64 rng(3);
  const double tol = kDouble ? 1e-12 : 1e-5;
  // C_out up to 32 takes the small-channel column kernel (every padding of the vector width:
  // 1, 5, 8, 9, 15, 16, 17, 24, 31, 32, and 12, whose instances fix the rows at compile time); 33
  // and K*C_in > 128 take the GEMM path. On AVX-512 builds
  // (NAMK_NATIVE), C_out <= 8 takes the channel-pair kernels (odd C_in included), C_out = 8
  // with C_in 8 or 16 their weight gradient, and C_out 1 to 4 with C_in 1 to 8 (the shapes
  // conv1d_backward lists) the time-packed weight gradient.
  for (Index c_in : {1, 2, 3, 4, 8, 16, 50})
    for (Index c_out : {1, 2, 3, 4, 5, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33})
      for (Index k : {1, 2, 3})
        for (Index d : {1, 2, 7})
          for (Index len : {1, 5, 37, 300}) {
            CAPTURE(c_in);
            CAPTURE(c_out);
            CAPTURE(k);
            CAPTURE(d);
            CAPTURE(len);
            const Index t_in = len + (k - 1) * d;
            Mat x = random_mat(c_in, t_in, rng), w = random_mat(c_out, k * c_in, rng),
                b = random_mat(c_out, 1, rng), dy = random_mat(c_out, len, rng);
            Mat y_fast(c_out, len), y_naive(c_out, len);
            conv1d_forward(x, w, b, d, y_fast);
            conv1d_forward_naive(x, w, b, d, y_naive);
            CHECK((y_fast - y_naive).cwiseAbs().maxCoeff() < tol * (1 + c_in * k));
            Mat y_generic(c_out, len);
            conv1d_forward_generic(x, w, b, d, y_generic);
            CHECK((y_generic - y_naive).cwiseAbs().maxCoeff() < tol * (1 + c_in * k));

            // Backward accumulates: start from a non-zero gradient to check the +=.
            Mat dx_fast = Mat::Ones(c_in, t_in), dw_fast = Mat::Ones(c_out, k * c_in),
                db_fast = Mat::Ones(c_out, 1);
            Mat dx_naive = dx_fast, dw_naive = dw_fast, db_naive = db_fast;
            conv1d_backward(x, w, dy, d, dx_fast, dw_fast, db_fast);
            conv1d_backward_naive(x, w, dy, d, dx_naive, dw_naive, db_naive);
            CHECK((dx_fast - dx_naive).cwiseAbs().maxCoeff() < tol * (1 + c_out * k));
            CHECK((dw_fast - dw_naive).cwiseAbs().maxCoeff() < tol * (1 + len));
            CHECK((db_fast - db_naive).cwiseAbs().maxCoeff() < tol * (1 + len));
          }
}

TEST_CASE("conv1d small kernels read and write through strides") {
  // Streaming and the fused layer pass blocks of rows and columns: x, y, the side input and the
  // residual with outer strides above their row counts must give the naive loop's numbers.
  std::mt19937_64 rng(17);
  const double tol = kDouble ? 1e-12 : 1e-5;
  for (Index c_out : {3, 8, 16})
    for (Index c_in : {3, 8}) {
      CAPTURE(c_out);
      CAPTURE(c_in);
      const Index k = 3, d = 2, len = 41, r = (k - 1) * d, c_side = 2;
      Mat x_big = random_mat(c_in + 5, len + r, rng), w = random_mat(c_out, k * c_in, rng),
          b = random_mat(c_out, 1, rng), side_big = random_mat(c_side + 1, len, rng),
          side_w = random_mat(c_out, c_side, rng), residual_big = random_mat(c_out + 2, len, rng);
      Mat y_big = Mat::Zero(c_out + 3, len);
      auto x = x_big.bottomRows(c_in);
      auto side = side_big.bottomRows(c_side);
      auto residual = residual_big.topRows(c_out);
      const Mat expected = conv_with_extras_by_hand(x, w, b, d, side, side_w, residual);
      conv1d_forward(x, w, b, d, y_big.topRows(c_out), Conv1dExtras{side, side_w, residual});
      CHECK((y_big.topRows(c_out) - expected).cwiseAbs().maxCoeff() < tol * (1 + c_in * k));
      CHECK((y_big.bottomRows(3).array() == 0).all());  // rows past the block stay untouched
    }
}

TEST_CASE("conv1d taps follow NAM's convention: tap k multiplies x[t - (K-1-k)d]") {
  // One channel, K=3, d=2: y[t] = w0 x[t-4] + w1 x[t-2] + w2 x[t] (times in the input's frame).
  Mat x(1, 7);
  x << 1, 2, 3, 4, 5, 6, 7;
  Mat w(1, 3);
  w << 100, 10, 1;
  Mat y(1, 3);
  conv1d_forward(x, w, Mat(), 2, y);
  CHECK(y(0, 0) == doctest::Approx(100 * 1 + 10 * 3 + 1 * 5));
  CHECK(y(0, 2) == doctest::Approx(100 * 3 + 10 * 5 + 1 * 7));
}

TEST_CASE("conv1d forward: a time step's output is bit-identical whatever block it is computed in") {
  // Streaming computes one block at a time over a ring buffer, training a whole item at once; for
  // small channel counts both must give the same bits (issue 6: streaming at block 1, 64 and 4096
  // is byte-identical). Compare every column computed alone and in blocks of 7 with one big block.
  std::mt19937_64 rng(11);
  for (Index c_out : {1, 8, 12, 16, 17, 32})
    for (Index c_in : {1, 8, 16})
      for (Index k : {1, 3}) {
        CAPTURE(c_out);
        CAPTURE(c_in);
        CAPTURE(k);
        const Index d = 5, len = 300, r = (k - 1) * d;
        Mat x = random_mat(c_in, len + r, rng), w = random_mat(c_out, k * c_in, rng),
            b = random_mat(c_out, 1, rng);
        Mat y_all(c_out, len), y_one(c_out, len), y_seven(c_out, len);
        conv1d_forward(x, w, b, d, y_all);
        for (Index t = 0; t < len; ++t) conv1d_forward(x.middleCols(t, r + 1), w, b, d, y_one.col(t));
        for (Index t = 0; t < len; t += 7) {
          const Index n = std::min<Index>(7, len - t);
          conv1d_forward(x.middleCols(t, r + n), w, b, d, y_seven.middleCols(t, n));
        }
        CHECK((y_one.array() == y_all.array()).all());
        CHECK((y_seven.array() == y_all.array()).all());
      }
}

TEST_CASE("conv1d backward: a small conv's input gradient is the column kernel over dy, one tap included") {
  // dx += conv^T(dy) runs the forward column kernel over dy, zero-padded by R = (K-1)d columns on
  // each side, with the taps transposed in reverse order: so its bits are that forward's, for every
  // K. (With one tap the kernel was asked for the empty left edge first, took the refusal for the
  // shape's, and sent every 1x1's input gradient to the slower GEMMs.)
  if constexpr (!kTunedKernels) return;  // the reference build's backward is the naive loop
  std::mt19937_64 rng(17);
  for (Index c_in : {1, 8, 16})
    for (Index c_out : {8, 16})
      for (Index k : {1, 3}) {
        CAPTURE(c_in);
        CAPTURE(c_out);
        CAPTURE(k);
        const Index d = 4, len = 200, r = (k - 1) * d;
        const Mat x = random_mat(c_in, len + r, rng), w = random_mat(c_out, k * c_in, rng),
                  dy = random_mat(c_out, len, rng), dx_start = random_mat(c_in, len + r, rng);
        Mat dx = dx_start;
        conv1d_backward(x, w, dy, d, dx, empty_mat(), empty_mat());
        Mat padded = Mat::Zero(c_out, len + 2 * r), wt(c_in, k * c_out), expected(c_in, len + r);
        padded.middleCols(r, len) = dy;
        for (Index tap = 0; tap < k; ++tap)
          wt.middleCols(tap * c_out, c_out) = w.middleCols((k - 1 - tap) * c_in, c_in).transpose();
        conv1d_forward(padded, wt, empty_mat(), d, expected, Conv1dExtras{empty_mat(), empty_mat(), dx_start});
        CHECK((dx.array() == expected.array()).all());
      }
}

TEST_CASE("conv1d extras: the side input and the residual are added as written, on every path") {
  // y = residual + (b + conv(x) + side_weight * side), against the naive conv plus the two terms
  // written out; C_out 8 and 16 take the small kernel (also at any block size), 40 the GEMM path.
  std::mt19937_64 rng(21);
  const double tol = kDouble ? 1e-12 : 1e-5;
  for (Index c_out : {8, 16, 40})
    for (Index c_side : {1, 3}) {
      CAPTURE(c_out);
      CAPTURE(c_side);
      const Index c_in = 8, k = 3, d = 4, len = 100, r = (k - 1) * d;
      Mat x = random_mat(c_in, len + r, rng), w = random_mat(c_out, k * c_in, rng), b = random_mat(c_out, 1, rng),
          side = random_mat(c_side, len, rng), side_w = random_mat(c_out, c_side, rng),
          residual = random_mat(c_out, len, rng);
      const Mat expected = conv_with_extras_by_hand(x, w, b, d, side, side_w, residual);
      Mat y(c_out, len);
      conv1d_forward(x, w, b, d, y, Conv1dExtras{side, side_w, residual});
      CHECK((y - expected).cwiseAbs().maxCoeff() < tol * (1 + c_in * k));
      CHECK((y - residual).cwiseAbs().maxCoeff() > 0.1);  // the conv did something
      if (c_out > 32) continue;
      Mat y_one(c_out, len);
      for (Index t = 0; t < len; ++t)
        conv1d_forward(x.middleCols(t, r + 1), w, b, d, y_one.col(t),
                       Conv1dExtras{side.col(t), side_w, residual.col(t)});
      CHECK((y_one.array() == y.array()).all());
    }
}

#if defined(__AVX512F__)
constexpr bool kAvx512Floats = !kDouble && kTunedKernels;
#else
constexpr bool kAvx512Floats = false;
#endif

TEST_CASE("conv1d_pack: weights laid out once give the bits of the kernel's own layout, where it applies") {
  // The channel-pair kernel (C_out up to half a vector, AVX-512 floats) copies the packed vectors
  // instead of interleaving w, b and the side weight itself, and the column kernel reads short
  // columns (C_out 9 to 15: lite's 12) padded in advance instead of padding them on the stack:
  // every shape the presets stream (K = 3 with the mixer's one or two condition rows, 1x1s with a
  // residual, odd and even C_in), short blocks and long, must give the same bits either way.
  // Elsewhere (16 rows: read in place) the pack is empty.
  std::mt19937_64 rng(23);
  struct Shape {
    Index c_out, c_in, k, c_side;
    bool residual;
  };
  const Shape shapes[] = {{8, 8, 3, 1, false}, {8, 8, 3, 2, false}, {8, 8, 1, 0, true}, {8, 16, 1, 0, false},
                          {6, 6, 3, 1, false}, {4, 4, 1, 0, true},  {2, 2, 3, 1, false}, {3, 5, 2, 3, true},
                          {1, 8, 1, 0, false}, {16, 16, 3, 1, false}, {12, 12, 3, 1, false}, {12, 12, 3, 2, false},
                          {12, 12, 1, 0, true},  {12, 24, 1, 0, false}, {9, 7, 2, 3, true}};
  for (const Shape& s : shapes)
    for (Index len : {1, 16, 45}) {
      CAPTURE(s.c_out);
      CAPTURE(s.c_in);
      CAPTURE(s.k);
      CAPTURE(len);
      const Index d = 2, r = (s.k - 1) * d;
      const Mat x = random_mat(s.c_in, len + r, rng), w = random_mat(s.c_out, s.k * s.c_in, rng),
                b = random_mat(s.c_out, 1, rng), side = random_mat(s.c_side, len, rng),
                side_w = random_mat(s.c_out, s.c_side, rng), residual = random_mat(s.c_out, len, rng);
      const ConstMatRef res = s.residual ? ConstMatRef(residual) : ConstMatRef(empty_mat());
      Mat packed;
      conv1d_pack(w, b, side_w, s.c_in, packed);
      const bool packs = kAvx512Floats && s.c_out < 16;
      CHECK((packed.size() > 0) == packs);
      Mat y(s.c_out, len), y_packed(s.c_out, len);
      conv1d_forward(x, w, b, d, y, Conv1dExtras{side, side_w, res});
      conv1d_forward(x, w, b, d, y_packed, Conv1dExtras{side, side_w, res, packs ? packed.data() : nullptr});
      CHECK((y_packed.array() == y.array()).all());
      // Packing again into the same matrix keeps its buffer (streaming repacks after each FiLM fold).
      const Scalar* before = packed.data();
      conv1d_pack(w, b, side_w, s.c_in, packed);
      CHECK(packed.data() == before);
    }
}
