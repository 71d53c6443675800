// ConvNet and Linear: parameter layout against NAM's, an independent FIR reference, and the
// streaming path against the training graph for every architecture and conditioning method.
#include <doctest/doctest.h>

#include "model_test_util.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("ConvNet and Linear parameter counts follow NAM's export") {
  // Per block: conv (C, in, 2) + bias C; head C + 1.
  CHECK(make_model(tiny_convnet())->num_params() == (3 * 1 * 2 + 3) + 3 * (3 * 3 * 2 + 3) + 4);
  CHECK(make_model(tiny_convnet())->receptive_field() == 16);
  CHECK(make_model(tiny_linear(9, true))->num_params() == 10);
  CHECK(make_model(tiny_linear(9, false))->num_params() == 9);
  ModelConfig bn = tiny_convnet();
  bn.convnet.batchnorm = true;
  CHECK_THROWS_WITH_AS(make_model(bn), doctest::Contains("batchnorm"), InputError);
}

TEST_CASE("Linear is the FIR of its weights (tap k multiplies x[t - (K-1-k)])") {
  auto m = make_model(tiny_linear(5, true));
  randomise(*m, 1);
  const Mat x = random_signal(40, 2);
  const Mat y = graph_output(*m, x, {});
  const Vec& w = m->params();
  for (Index t = 0; t < y.cols(); ++t) {
    double expected = w[5];
    for (Index k = 0; k < 5; ++k) expected += double(w[k]) * double(x(0, t + k));
    CHECK(double(y(0, t)) == doctest::Approx(expected).epsilon(1e-5));
  }
}

TEST_CASE("every architecture and conditioning streams like its graph") {
  for (const auto& [name, config] : all_variants()) {
    CAPTURE(name);
    auto m = make_model(config);
    randomise(*m, 23);
    check_streams_like_graph(*m, random_signal(1200, 8), {6.0, -0.5});
  }
}
