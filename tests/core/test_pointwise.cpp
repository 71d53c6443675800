// Activation kernels against the standard library. Float tanh is a vectorised approximation, a
// piecewise quintic with AVX-512 and a rational otherwise (tanh_float.cpp); its documented accuracy
// is checked here over dense sweeps.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/kernels/pointwise.h"
#include "core/kernels/tanh_float.h"
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
  CHECK(max_error <= (kDouble ? 1e-15 : kTanhFloatMaxError));
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

namespace {

// Every 97th float from 0 to 16 (some 11 million: every interval of the piecewise form many times
// over, and the float spacing near 0 where relative error shows), against std::tanh in double.
std::vector<float> tanh_sweep_inputs() {
  std::vector<float> x;
  uint32_t end_bits;
  const float end = 16;
  std::memcpy(&end_bits, &end, sizeof end);
  for (uint32_t bits = 0; bits <= end_bits; bits += 97) {
    float v;
    std::memcpy(&v, &bits, sizeof v);
    x.push_back(v);
  }
  return x;
}

struct TanhErrors {
  double max_abs = 0, max_relative = 0;
  size_t not_x_near_0 = 0;
};

TanhErrors tanh_errors(const std::vector<float>& x, const std::vector<float>& y) {
  TanhErrors e;
  for (size_t i = 0; i < x.size(); ++i) {
    const double exact = std::tanh(double(x[i])), error = std::abs(double(y[i]) - exact);
    e.max_abs = std::max(e.max_abs, error);
    if (exact > 1e-3) e.max_relative = std::max(e.max_relative, error / exact);
    if (x[i] < 1e-4f && y[i] != x[i]) ++e.not_x_near_0;
  }
  return e;
}

}  // namespace

TEST_CASE("float tanh: a sweep over the floats stays within the stated maximum error") {
  const std::vector<float> x = tanh_sweep_inputs();
  std::vector<float> y(x.size());
  tanh_array(x.data(), y.data(), static_cast<Index>(x.size()));
  const TanhErrors e = tanh_errors(x, y);
  CAPTURE(kTanhPiecewise);
  CHECK(e.max_abs <= kTanhFloatMaxError);
  CHECK(e.max_abs > kTanhFloatMaxError / 4);  // the stated bound is the form's, not slack
  CHECK(e.max_relative <= 4e-7);
  CHECK(e.not_x_near_0 == 0);
  // A NaN stays NaN (the model's output check reports it) rather than becoming +-1.
  float nan_in[3] = {0.5f, std::numeric_limits<float>::quiet_NaN(), -0.5f}, nan_out[3];
  tanh_array(nan_in, nan_out, 3);
  CHECK(std::isnan(nan_out[1]));
  CHECK(nan_out[0] == -nan_out[2]);
}

// The piecewise quintic's plain C++ twin runs on any CPU; where the build vectorises it (AVX-512),
// the vector code must give its bits for every input, signs, infinities and NaN included.
TEST_CASE("float tanh: the piecewise quintic's reference is as accurate, and the AVX-512 path gives its bits") {
  std::vector<float> x = tanh_sweep_inputs();
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = tanh_piecewise_reference(x[i]);
  const TanhErrors e = tanh_errors(x, y);
  CHECK(e.max_abs <= 2.5e-7);
  CHECK(e.max_relative <= 4e-7);
  CHECK(e.not_x_near_0 == 0);
  CHECK(tanh_piecewise_reference(-0.5f) == -tanh_piecewise_reference(0.5f));
  CHECK(std::signbit(tanh_piecewise_reference(-0.f)));
  CHECK(tanh_piecewise_reference(std::numeric_limits<float>::infinity()) == tanh_piecewise_reference(7.875f));
  CHECK(std::isnan(tanh_piecewise_reference(std::numeric_limits<float>::quiet_NaN())));
  if (!kTanhPiecewise) return;
  // The ties between two quarters ((2k+1)/8, which round to the even one) and a float either side:
  // where finding the nearest quarter by another instruction sequence could go the other way.
  for (int k = 0; k < 63; ++k) {
    const float tie = float(2 * k + 1) / 8;
    x.insert(x.end(), {tie, std::nextafter(tie, 0.f), std::nextafter(tie, 16.f)});
  }
  const size_t positives = x.size();
  for (size_t i = 0; i < positives; ++i) x.push_back(-x[i]);
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  x.push_back(std::numeric_limits<float>::denorm_min());
  y.resize(x.size());
  tanh_array(x.data(), y.data(), static_cast<Index>(x.size()));
  size_t differ = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float expected = tanh_piecewise_reference(x[i]);
    uint32_t a, b;
    std::memcpy(&a, &y[i], sizeof a);
    std::memcpy(&b, &expected, sizeof b);
    if (a != b && !(std::isnan(y[i]) && std::isnan(expected))) ++differ;
  }
  CHECK(differ == 0);
}

TEST_CASE("tanh_add: the bits of the activation's tanh and then the skip sum, in place or not, at any length") {
  // The WaveNet layer's fused pass (residual_layer.cpp) must leave streaming and the training graph
  // on the bits of the two passes it replaces: every length from 0 to 50 (whole vectors and tails).
  // Bitwise equality; an empty block has no data pointer, and memcmp must not be given null.
  auto same_bits = [](const Mat& a, const Mat& b) {
    return a.size() == b.size() && (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(Scalar) * size_t(a.size())) == 0);
  };
  for (Index n = 0; n <= 50; ++n) {
    Mat z(1, n), add(1, n);
    for (Index i = 0; i < n; ++i) {
      z(0, i) = static_cast<Scalar>(std::sin(0.7 * double(i + n)) * 3.0);
      add(0, i) = static_cast<Scalar>(std::cos(1.3 * double(i)) * 0.37);
    }
    Mat a_two(1, n), sum_two(1, n);
    activation_forward(Activation::Tanh, z, a_two);
    sum_two = add + a_two;

    Mat a(1, n), sum(1, n);
    tanh_add(z.data(), a.data(), add.data(), sum.data(), n);
    CHECK(same_bits(a, a_two));
    CHECK(same_bits(sum, sum_two));

    // In place, as the layer runs it: the skip sum accumulates into its own input.
    Mat in_place = add, a2(1, n);
    tanh_add(z.data(), a2.data(), in_place.data(), in_place.data(), n);
    CHECK(same_bits(in_place, sum_two));
  }
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
