// columns_to_planes and planes_to_columns (core/kernels/planes_transpose.h) against their
// element-by-element references, and against the index formula itself: every row count the planar
// arrays use and more (1 to 16), strided columns, lengths on and off the 16-step groups, and
// nothing written outside the values named.
#include <doctest/doctest.h>

#include <vector>

#include "core/kernels/planes_transpose.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {
constexpr Scalar kUntouched = Scalar(-1234.5);
}

TEST_CASE("columns_to_planes and planes_to_columns: each value to its place, nothing else written") {
  std::mt19937_64 rng(41);
  for (Index rows = 1; rows <= 16; ++rows)
    for (Index extra : {0, 3})
      for (Index n : {0, 1, 15, 16, 17, 40, 64, 70}) {
        CAPTURE(rows);
        CAPTURE(extra);
        CAPTURE(n);
        const Index stride = rows + extra, plane_stride = n + kPlanarPad + 5;
        const Mat columns = random_mat(stride, n, rng);  // (stride, n): column t's rows at t * stride

        std::vector<Scalar> fast(static_cast<size_t>(rows * plane_stride), kUntouched), ref = fast;
        columns_to_planes(columns.data(), stride, rows, Planes{fast.data(), plane_stride}, n);
        columns_to_planes_reference(columns.data(), stride, rows, Planes{ref.data(), plane_stride}, n);
        CHECK(fast == ref);
        bool placed = true;
        for (Index r = 0; r < rows; ++r)
          for (Index t = 0; t < plane_stride; ++t)
            placed = placed && fast[static_cast<size_t>(r * plane_stride + t)] == (t < n ? columns(r, t) : kUntouched);
        CHECK(placed);

        // And back, into columns whose other rows must keep their values.
        Mat back = Mat::Constant(stride, n, kUntouched), back_ref = back;
        planes_to_columns(ConstPlanes{fast.data(), plane_stride}, rows, back.data(), stride, n);
        planes_to_columns_reference(ConstPlanes{fast.data(), plane_stride}, rows, back_ref.data(), stride, n);
        CHECK(back == back_ref);
        CHECK(back.topRows(rows) == columns.topRows(rows));
        CHECK((back.bottomRows(extra).array() == kUntouched).all());
      }
}
