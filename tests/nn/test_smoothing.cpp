// Knob smoothing: a knob move ramps the conditioning instead of stepping it, so the output has no
// click, and lands exactly on the new knob's output once the ramp is over.
#include <doctest/doctest.h>

#include "model_test_util.h"

using namespace namk;
using namespace namk::test;

namespace {
// Streams a steady DC input and moves "gain" from 1 to 9 at sample `at`.
Mat knob_move(Model& m, Index length, Index at) {
  m.prepare(32);
  m.set_knob("gain", 1.0);
  m.reset();
  const Mat x = Mat::Constant(1, length, Scalar(0.3));
  Mat y(1, length);
  for (Index pos = 0; pos < length; pos += 32) {
    if (pos == at) m.set_knob("gain", 9.0);
    m.process(x.data() + pos, y.data() + pos, 32);
  }
  return y;
}

double largest_step(const Mat& y, Index from, Index to) {
  double worst = 0;
  for (Index t = from; t < to; ++t) worst = std::max(worst, std::abs(double(y(0, t + 1) - y(0, t))));
  return worst;
}
}  // namespace

TEST_CASE("knob changes ramp over smoothing_ms and then equal the new knob's output") {
  for (Conditioning method : {Conditioning::Film, Conditioning::Concat}) {
    ModelConfig c = with_two_knobs(tiny_wavenet(), method);
    c.sample_rate = 48000;
    c.smoothing_ms = 20;  // 960 samples
    auto m = make_model(c);
    randomise(*m, 31);
    const Index length = 4096, at = 1600, r = m->receptive_field();
    const Mat smooth = knob_move(*m, length, at);
    m->set_smoothing_ms(0);
    const Mat abrupt = knob_move(*m, length, at);
    const double click = largest_step(abrupt, at - 1, at + r), ramped = largest_step(smooth, at - 1, at + 960 + r);
    CAPTURE(click);
    CAPTURE(ramped);
    CHECK(click > 1e-3);
    CHECK(ramped < click / 10);
    // Before the move both agree; after the ramp (and one receptive field) both equal the graph.
    CHECK((smooth.leftCols(at) - abrupt.leftCols(at)).cwiseAbs().maxCoeff() == 0);
    const Mat x = Mat::Constant(1, length, Scalar(0.3));
    const Mat target = graph_output(*m, x, {9.0, 0.0});
    const Index settled = at + 960 + r;
    CHECK((smooth.rightCols(length - settled) - target.rightCols(length - settled)).cwiseAbs().maxCoeff() < 1e-5);
    // Mid-ramp the output is still between the old and the new.
    CHECK(std::abs(double(smooth(0, at + 480) - abrupt(0, at + 480))) > 1e-4);
  }
}
