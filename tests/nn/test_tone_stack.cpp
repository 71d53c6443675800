// The knob-controlled tone stack (nn/layers/tone_stack.h): flat at zero controls, the controls'
// ranges, streaming equal to the training op at any block size, and (in the double build, see
// test_tone_stack_gradcheck.cpp) gradients against finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>

#include "../core/biquad_test_util.h"
#include "nn/layers/tone_stack.h"

using namespace namk;
using namespace namk::test;

namespace {

Mat noise(Index n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Mat x(1, n);
  for (Index i = 0; i < n; ++i) x(0, i) = static_cast<Scalar>(u(rng));
  return x;
}

}  // namespace

TEST_CASE("tone stack: zero controls are the identity, and controls map into their ranges") {
  const ToneStackConfig c;
  Tape t;
  const Mat x = noise(500, 1);
  const Var y = tone_stack(t, t.constant(x), t.constant(Mat::Zero(c.controls(), 1)), c);
  CHECK((t.value(y) - x).cwiseAbs().maxCoeff() < 1e-5);

  // Far-out controls stay inside the ranges: gain within +-max, the peak at its range's top.
  Vec extreme(c.controls());
  extreme << 50, -50, 0, 50, 50, 0, -50, 0, 50;
  const Biquad bass = design_tone_section(c, 0, extreme.data()).filter;
  CHECK(magnitude_db(bass, 1, c.sample_rate) == doctest::Approx(c.max_gain_db).epsilon(1e-3));
  const Biquad mid = design_tone_section(c, 1, extreme.data()).filter;
  CHECK(magnitude_db(mid, c.sections[1].max_hz, c.sample_rate) == doctest::Approx(c.max_gain_db).epsilon(1e-3));
  const Biquad treble = design_tone_section(c, 2, extreme.data()).filter;
  CHECK(magnitude_db(treble, c.sample_rate / 2, c.sample_rate) == doctest::Approx(-c.max_gain_db).epsilon(1e-3));
}

TEST_CASE("tone stack: streaming equals the training op at any block size, and controls take effect") {
  const ToneStackConfig c;
  Vec controls(c.controls());
  controls << 0.7f, -0.3f, 0.2f, -0.5f, 0.4f, 1.1f, 0.9f, 0.1f, -0.6f;
  const Mat x = noise(3000, 2);
  Tape t;
  const Mat graph = t.value(tone_stack(t, t.constant(x), t.constant(controls), c));
  CHECK((graph - x).cwiseAbs().maxCoeff() > 0.05);  // the controls do something
  for (Index block : {Index(1), Index(16), Index(64), Index(333)}) {
    ToneStackStream stream;
    stream.prepare(c);
    Mat y(1, x.cols());
    for (Index pos = 0; pos < x.cols(); pos += block) {
      const Index n = std::min(block, x.cols() - pos);
      stream.process(c, controls.data(), x.data() + pos, y.data() + pos, n);
    }
    CHECK(y == graph);
  }
}

TEST_CASE("tone stack: bad shapes are refused with the shape found") {
  const ToneStackConfig c;
  Tape t;
  CHECK_THROWS_WITH(tone_stack(t, t.constant(Mat::Zero(2, 10)), t.constant(Mat::Zero(c.controls(), 1)), c),
                    "tone_stack: expected x of shape (1, T), found (2, 10)");
  CHECK_THROWS_WITH(tone_stack(t, t.constant(Mat::Zero(1, 10)), t.constant(Mat::Zero(4, 1)), c),
                    "tone_stack: expected controls of shape (9, 1), found (4, 1)");
}
