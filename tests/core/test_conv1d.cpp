// The fast (one GEMM per tap) conv kernels against the naive per-sample loops.
#include <doctest/doctest.h>

#include "core/kernels/conv1d.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("fast conv1d equals the naive loop, forward and backward") {
  std::mt19937_64 rng(3);
  const double tol = kDouble ? 1e-12 : 1e-5;
  for (Index c_in : {1, 3, 16})
    for (Index c_out : {1, 2, 16})
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
