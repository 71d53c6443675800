// Activation kernels against the standard library. Float tanh is a vectorised rational
// approximation (pointwise.cpp); its documented accuracy is checked here over a dense sweep.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/kernels/pointwise.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("tanh: within 4e-7 of std::tanh, in [-1, 1], odd, and independent of the array's shape") {
  const Index n = 200001;
  Mat x(1, n), y(1, n);
  for (Index i = 0; i < n; ++i) x(0, i) = static_cast<Scalar>(-12.0 + 24.0 * double(i) / double(n - 1));
  x(0, 0) = Scalar(-1e30);
  x(0, n - 1) = Scalar(1e30);
  x(0, 1) = Scalar(1e-5);
  activation_forward(Activation::Tanh, x, y);
  double max_error = 0;
  for (Index i = 0; i < n; ++i) {
    const double exact = std::tanh(double(x(0, i)));
    max_error = std::max(max_error, std::abs(double(y(0, i)) - exact));
    CHECK(std::abs(y(0, i)) <= 1);
    if (std::abs(exact) > 1e-3) CHECK(std::abs(double(y(0, i)) - exact) <= 4e-7 * std::abs(exact));
  }
  CHECK(max_error <= (kDouble ? 1e-15 : 4e-7));
  if (!kDouble) CHECK(y(0, 1) == x(0, 1));  // tanh(x) = x to float precision near 0
  Mat neg_x = -x, neg_y(1, n);
  activation_forward(Activation::Tanh, neg_x, neg_y);
  CHECK((neg_y.array() == -y.array()).all());

  // A strided block (one column at a time, 5 rows: a vector tail) gives the same bits.
  Mat x5 = Eigen::Map<Mat>(x.data(), 5, 40000), big(7, 40000), out(7, 40000);
  big.topRows(5) = x5;
  activation_forward(Activation::Tanh, big.topRows(5), out.topRows(5));
  CHECK((out.topRows(5).array() == Eigen::Map<Mat>(y.data(), 5, 40000).array()).all());
}

TEST_CASE("LeakyReLU: x for x > 0, 0.01 x otherwise, whatever the block's stride") {
  std::mt19937_64 rng(17);
  Mat x = random_mat(5, 40, rng);
  x(0, 0) = 0;
  x(1, 0) = Scalar(-0.0);
  x(2, 0) = std::numeric_limits<Scalar>::denorm_min();
  for (Index rows : {Index(5), Index(3)}) {  // contiguous, then a block with stride 5
    CAPTURE(rows);
    Mat y = Mat::Constant(5, 40, Scalar(7));
    activation_forward(Activation::LeakyReLU, x.topRows(rows), y.topRows(rows));
    for (Index t = 0; t < x.cols(); ++t)
      for (Index r = 0; r < 5; ++r) {
        const double v = double(x(r, t));
        // 0.01 x rounded once, from double: the float product rounds the same way here.
        const double expected = r >= rows ? 7.0 : v > 0 ? v : double(Scalar(double(Scalar(0.01)) * v));
        CHECK(double(y(r, t)) == expected);
      }
  }
}
