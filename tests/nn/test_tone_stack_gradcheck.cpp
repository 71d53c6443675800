// The tone stack's backward against central finite differences, with respect to the audio and to
// the controls, in the double build.
#include <doctest/doctest.h>

#include "../core/gradcheck.h"
#include "nn/layers/tone_stack.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("tone stack gradients (audio and controls) match finite differences") {
  static_assert(std::is_same_v<Scalar, double>, "gradient checks run in the _f64 build");
  std::mt19937_64 rng(4);
  const ToneStackConfig c;
  // Controls away from zero, where every section bends the signal; a short signal keeps the
  // number of evaluations small.
  const Mat controls = random_mat(c.controls(), 1, rng, -1.5, 1.5);
  const Mat x = random_mat(1, 120, rng);
  const double worst = gradcheck({x, controls}, [&](Tape& t, const std::vector<Var>& v) {
    return tone_stack(t, v[0], v[1], c);
  });
  CHECK(worst < 1e-6);
}
