// The parameter layout: every model's named tensors tile its flat buffer exactly, in order, with
// NAM's shapes, and the architecture's tensors come before the conditioner's.
#include <doctest/doctest.h>

#include <set>

#include "model_test_util.h"

using namespace namk;
using namespace namk::test;

TEST_CASE("the layout's views tile the parameter buffer, architecture first") {
  for (auto& [name, config] : all_variants()) {
    CAPTURE(name);
    auto m = make_model(config);
    const auto& views = m->param_layout().views();
    REQUIRE(!views.empty());
    Index next = 0;
    std::set<std::string> names;
    for (const ParamView& v : views) {
      CAPTURE(v.name);
      CHECK(v.offset == next);
      CHECK(v.size() >= 1);
      CHECK(names.insert(v.name).second);
      next += v.size();
      if (v.offset < m->architecture_params()) CHECK(next <= m->architecture_params());
    }
    CHECK(next == m->num_params());
    CHECK(m->param_layout().size() == m->num_params());
  }
}

TEST_CASE("a WaveNet's layout names NAM's tensors with NAM's shapes") {
  ModelConfig c = tiny_wavenet();
  c.knobs = two_knobs();
  c.film.hidden = 4;
  auto m = make_model(c);
  const ParamLayout& l = m->param_layout();
  // 2 arrays: rechannel, 5 per layer (3 + 2 layers), head weight (+ bias on the second); FiLM 4.
  CHECK(l.views().size() == 1 + 5 * 3 + 1 + 1 + 5 * 2 + 2 + 4);
  CHECK(l.view("layers[0].rechannel.weight").shape == std::vector<Index>{3, 1});
  CHECK(l.view("layers[0].layer[2].conv.weight").shape == std::vector<Index>{3, 3, 3});
  CHECK(l.view("layers[1].layer[1].input_mixer.weight").shape == std::vector<Index>{2, 1});
  CHECK(l.view("layers[1].head_rechannel.bias").shape == std::vector<Index>{1});
  CHECK(l.view("film.w1").shape == std::vector<Index>{4, 2});
  CHECK(l.view("film.w1").offset == m->architecture_params());
  CHECK_THROWS_WITH_AS(l.view("layers[0].head_rechannel.bias"),
                       doctest::Contains("no tensor named 'layers[0].head_rechannel.bias'"), UsageError);
}
