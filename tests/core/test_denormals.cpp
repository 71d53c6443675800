// ScopedFlushDenormals flushes subnormal results inside its scope and restores the mode after.
#include <doctest/doctest.h>

#include <limits>

#include "core/denormals.h"

namespace {
// Reading through volatile keeps the compiler from folding the product at compile time.
float product(float a, float b) {
  volatile float va = a, vb = b;
  return va * vb;
}
}  // namespace

TEST_CASE("denormal results are flushed to zero only inside the scope") {
  const float tiny = std::numeric_limits<float>::min();  // smallest normal float
  CHECK(product(tiny, 0.5f) != 0.0f);                    // a subnormal, normally kept
  {
    namk::ScopedFlushDenormals flush;
    CHECK(product(tiny, 0.5f) == 0.0f);
  }
  CHECK(product(tiny, 0.5f) != 0.0f);
}
