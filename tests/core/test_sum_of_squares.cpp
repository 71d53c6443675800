// sum_of_squares (core/esr.h), the MRSTFT loss's and the ESR loss's energies, against long double
// sums; in float (the product's type: the vectorised conversion is what is tested) and in double.
#include <doctest/doctest.h>

#include <cmath>

#include "core/esr.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("sum_of_squares: contiguous and strided blocks, every tail length, against a long double sum") {
  std::mt19937_64 rng(23);
  for (Index rows : {1, 3, 15, 16, 17, 257})
    for (Index cols : {1, 2, 7, 40}) {
      CAPTURE(rows);
      CAPTURE(cols);
      // A block of a bigger matrix (outer stride above its rows) and the same values contiguous.
      const Mat big = random_mat(rows + 5, cols, rng);
      const ConstMatRef block = big.topRows(rows);
      const Mat copy = block;
      long double expected = 0;
      for (Index j = 0; j < cols; ++j)
        for (Index i = 0; i < rows; ++i) expected += static_cast<long double>(copy(i, j)) * copy(i, j);
      const double tolerance = 1e-14 * static_cast<double>(expected);
      CHECK(std::abs(sum_of_squares(block) - static_cast<double>(expected)) <= tolerance);
      CHECK(std::abs(sum_of_squares(copy) - static_cast<double>(expected)) <= tolerance);
    }
  Mat pair(1, 2);
  pair << 3, -4;
  CHECK(sum_of_squares(pair) == 25.0);
  CHECK(sum_of_squares(Mat(0, 0)) == 0.0);
}
