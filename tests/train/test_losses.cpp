// Time-domain losses against hand-computed values, and their gradients against finite differences.
#include <doctest/doctest.h>

#include "../core/gradcheck.h"
#include "train/losses.h"

using namespace namk;
using namespace namk::test;

namespace {
Mat row(std::initializer_list<double> values) {
  Mat m(1, static_cast<Index>(values.size()));
  Index i = 0;
  for (double v : values) m(0, i++) = static_cast<Scalar>(v);
  return m;
}
double value_of(Tape& t, Var v) { return static_cast<double>(t.value(v)(0, 0)); }
}  // namespace

TEST_CASE("losses equal hand-computed values") {
  Tape t;
  Var p = t.constant(row({1, 2, 3})), y = t.constant(row({1, 1, 1}));
  CHECK(value_of(t, mse_loss(t, p, y)) == doctest::Approx(5.0 / 3));
  CHECK(value_of(t, esr_loss(t, p, y)) == doctest::Approx(5.0 / 3).epsilon(1e-6));
  // dc: (mean y - mean p)^2 / mean(y^2) = (1 - 2)^2 / 1
  CHECK(value_of(t, dc_loss(t, p, y)) == doctest::Approx(1.0).epsilon(1e-6));
  // y2 = [2, -1, 4]: mean square 7
  Var y2 = t.constant(row({2, -1, 4}));
  CHECK(value_of(t, esr_loss(t, p, y2)) == doctest::Approx((1 + 9 + 1) / 3.0 / 7.0).epsilon(1e-6));
  CHECK(esr(row({1, 2, 3}), row({2, -1, 4})) == doctest::Approx(11.0 / 21.0).epsilon(1e-6));
  Var e = pre_emphasis(t, p, Scalar(0.5));
  REQUIRE(t.cols(e) == 2);
  CHECK(t.value(e)(0, 0) == doctest::Approx(1.5));
  CHECK(t.value(e)(0, 1) == doctest::Approx(2.0));
}

TEST_CASE("loss gradients match finite differences") {
  std::mt19937_64 rng(31);
  const Mat p = random_mat(1, 37, rng), y = random_mat(1, 37, rng);
  // The target is a constant of the data: only the prediction is differentiated.
  auto with_target = [&](auto loss) {
    return [loss, y](Tape& t, const std::vector<Var>& v) { return loss(t, v[0], t.constant(y)); };
  };
  CHECK(gradcheck({p}, with_target(mse_loss)) < kTolerance);
  CHECK(gradcheck({p}, with_target(esr_loss)) < kTolerance);
  CHECK(gradcheck({p}, with_target(dc_loss)) < kTolerance);
  CHECK(gradcheck({p}, [](Tape& t, const std::vector<Var>& v) {
          return pre_emphasis(t, v[0], Scalar(0.85));
        }) < kTolerance);
}
