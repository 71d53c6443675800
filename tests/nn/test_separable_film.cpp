// Separable FiLM: each knob drives its own hidden units, so the conditioning column is a sum of one
// function per knob (no interaction term), the cross-knob weights start and stay at zero, and the
// option survives a file round trip. The gradient checks and streaming tests cover it through the
// "wavenet film separable" variant of all_variants().
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <random>

#include "model_test_util.h"
#include "nn/layers/knob_conditioner.h"
#include "nn/model_file.h"
#include "tests/test_temp_path.h"

using namespace namk;
using namespace namk::test;

namespace {

// The conditioner of `config` over two FiLM sites, with random weights everywhere (cross-knob
// entries of w1 included: evaluate() must ignore them).
struct Conditioner {
  KnobConditioner kc;
  ParamLayout layout;
  std::vector<Scalar> params;
  KnobConditioner::State state;
  explicit Conditioner(const ModelConfig& config) {
    kc.build(config, {3, 2}, layout);
    params.resize(static_cast<size_t>(layout.size()));
    std::mt19937_64 rng(8);
    std::uniform_real_distribution<double> u(-1, 1);
    for (Scalar& p : params) p = static_cast<Scalar>(u(rng));
    kc.prepare(params.data(), state);
  }
  Vec column(double gain, double tone) {
    Vec c(kc.outputs());
    const double knobs[] = {gain, tone};
    kc.evaluate(params.data(), knobs, state, c.data());
    return c;
  }
  // How far the column is from a sum of one function per knob: the mixed second difference over a
  // rectangle of settings, which is zero for f(gain) + g(tone).
  double interaction(double g0, double g1, double t0, double t1) {
    return (column(g1, t1) - column(g1, t0) - column(g0, t1) + column(g0, t0)).cwiseAbs().maxCoeff();
  }
};

ModelConfig film_config(bool separable) {
  ModelConfig c = with_two_knobs(tiny_wavenet(), Conditioning::Film);
  c.film.hidden = 4;
  c.film.separable = separable;
  return c;
}

}  // namespace

TEST_CASE("separable FiLM: the column has no knob interaction, a dense MLP's has") {
  Conditioner separable(film_config(true)), dense(film_config(false));
  CHECK(separable.layout.view("film.w1").shape == std::vector<Index>{8, 2});  // 4 units per knob
  CHECK(dense.layout.view("film.w1").shape == std::vector<Index>{4, 2});
  // Rectangles of (gain, gain', tone, tone').
  for (const std::array<double, 4>& r : {std::array{0.0, 10.0, -1.0, 1.0}, {2.5, 9.0, 0.3, -0.7}, {5.0, 5.5, 0.0, 0.1}}) {
    CAPTURE(r[0]);
    const double scale = separable.column(r[1], r[3]).cwiseAbs().maxCoeff();
    CHECK(separable.interaction(r[0], r[1], r[2], r[3]) <= 1e-6 * scale);
    CHECK(dense.interaction(r[0], r[1], r[2], r[3]) >= 1e-4);  // the same check sees a dense MLP's interaction
  }
}

TEST_CASE("separable FiLM: cross-knob weights start at zero and a file keeps the option") {
  auto m = make_model(film_config(true));
  m->init_params(3);
  const ParamView w1 = m->param_layout().view("film.w1");
  for (Index j = 0; j < 8; ++j)
    for (Index i = 0; i < 2; ++i) {
      CAPTURE(j);
      CAPTURE(i);
      const Scalar w = m->params()[w1.offset + j * 2 + i];
      if (j / 4 == i)
        CHECK(w != 0);
      else
        CHECK(w == 0);
    }
  randomise(*m, 12);  // so the knobs do something to the output
  const std::string path = temp_path("separable_film.nam").string();
  save_model(*m, path);
  LoadedModel back = load_model(path);
  CHECK(back.model->config().film.separable);
  const Mat x = random_signal(m->receptive_field() + 200, 4);
  const Mat y = graph_output(*m, x, {7.5, -0.25});
  CHECK((graph_output(*back.model, x, {7.5, -0.25}) - y).cwiseAbs().maxCoeff() == 0);
  std::remove(path.c_str());
}
