// Issue 18: streaming never outputs a non-finite sample, whatever it is fed. NaN and infinite
// input samples become silence (counted); a state that goes non-finite is cleared (counted); finite
// audio is untouched, bit for bit.
#include <doctest/doctest.h>

#include <limits>

#include "model_test_util.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("non-finite input samples are streamed as silence, and counted") {
  const Scalar nan = std::numeric_limits<Scalar>::quiet_NaN(), inf = std::numeric_limits<Scalar>::infinity();
  for (const auto& [name, config] : all_variants()) {
    CAPTURE(name);
    auto m = make_model(config);
    randomise(*m, 3);
    const Mat clean = random_signal(700, 4);
    Mat dirty = clean, silenced = clean;
    const Index bad[] = {0, 5, 64, 65, 300, 699};
    for (size_t i = 0; i < std::size(bad); ++i) {
      dirty(0, bad[i]) = i % 3 == 0 ? nan : i % 3 == 1 ? inf : -inf;
      silenced(0, bad[i]) = 0;
    }
    for (int block : {1, 7, 64, 700}) {
      CAPTURE(block);
      m->prepare(block);
      const Mat expected = stream_output(*m, silenced, {block});
      CHECK(m->nonfinite_inputs() == 0);
      m->prepare(block);
      const Mat y = stream_output(*m, dirty, {block});
      CHECK(y.allFinite());
      CHECK(m->nonfinite_inputs() == Index(std::size(bad)));
      CHECK(m->nonfinite_resets() == 0);
      CHECK((y.array() == expected.array()).all());
    }
  }
}

TEST_CASE("a block whose output overflows is silenced and the history cleared") {
  // ConvNet, one channel, identity activation, every weight 1e20 and no biases: an input of 1
  // reaches 4e60 at the head, infinite in float32, while 1e-30 gives a finite 4e30. Without the reset, the infinities left in the second block's
  // history would keep the output infinite for its receptive field.
  ModelConfig c;
  c.architecture = "ConvNet";
  c.convnet.channels = 1;
  c.convnet.dilations = {1, 1};
  c.convnet.activation = Activation::Identity;
  auto m = make_model(c);
  m->params().setConstant(Scalar(1e20));
  for (Index bias : {2, 5, 7}) m->params()[bias] = 0;  // per block (w0, w1, bias), then head (w, bias)
  m->prepare(16);
  std::vector<Scalar> loud(16, Scalar(1)), quiet(16, Scalar(1e-30)), y(16);
  m->process(loud.data(), y.data(), 16);
  for (Scalar v : y) CHECK(v == 0);
  CHECK(m->nonfinite_resets() == 1);
  m->process(quiet.data(), y.data(), 16);
  for (Scalar v : y) CHECK(std::isfinite(v));
  CHECK(y[15] > 0);
  CHECK(m->nonfinite_resets() == 1);
  CHECK(m->nonfinite_inputs() == 0);
}

TEST_CASE("set_knob ignores NaN, so the conditioning never turns non-finite") {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  auto m = make_model(c);
  randomise(*m, 5);
  m->prepare(32);
  m->set_knob(Index(0), 7);
  m->set_knob(Index(0), std::numeric_limits<double>::quiet_NaN());
  CHECK(m->knob(0) == 7);
  const Mat x = random_signal(256, 6);
  CHECK(stream_output(*m, x, {32}).allFinite());
  CHECK(m->nonfinite_resets() == 0);
}
