// The weights' moving average against a direct double-precision evaluation of its definition.
#include <doctest/doctest.h>

#include <vector>

#include "train/weight_average.h"

using namespace namk;

TEST_CASE("the average's decay warms up as (1 + t) / (10 + t), then holds the configured value") {
  CHECK(weight_average_decay(0.999, 0) == doctest::Approx(0.1));
  CHECK(weight_average_decay(0.999, 8) == doctest::Approx(0.5));
  CHECK(weight_average_decay(0.999, 90) == doctest::Approx(0.91));
  // (1 + t) / (10 + t) reaches 0.999 at t = 8990.
  CHECK(weight_average_decay(0.999, 8989) < 0.999);
  CHECK(weight_average_decay(0.999, 8991) == 0.999);
  CHECK(weight_average_decay(0.999, 1000000) == 0.999);
}

TEST_CASE("the average follows a = d a + (1 - d) p step by step") {
  const double decay = 0.6;
  std::vector<double> reference = {1.0, -2.0};
  Vec average(2);
  average << 1, -2;
  for (int64_t t = 0; t < 40; ++t) {
    Vec params(2);
    params << static_cast<Scalar>(0.1 * t), static_cast<Scalar>(3 - 0.05 * t * t);
    const double warm = (1.0 + t) / (10.0 + t), dd = warm < decay ? warm : decay;
    CHECK(weight_average_decay(decay, t) == doctest::Approx(dd));
    for (int i = 0; i < 2; ++i) reference[i] = dd * reference[i] + (1 - dd) * params(i);
    update_weight_average(average, params, decay, t);
  }
  CHECK(average(0) == doctest::Approx(reference[0]).epsilon(1e-5));
  CHECK(average(1) == doctest::Approx(reference[1]).epsilon(1e-5));
}
