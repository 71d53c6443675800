// Every NAM-made fixture loads in the reference evaluator and renders a finite, non-trivial
// signal at every size it offers; pre-warm counts and submodel choice follow NAM's runtime; bad
// files are refused with the key and the file named.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "nam_reference.h"
#include "reference_test_util.h"

using namespace namk;
using namespace namk::test;
using reference::ReferenceModel;
using reference::RenderOptions;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The error message of loading `text`, or "" when it loads.
std::string load_error(const std::string& text) {
  try {
    (void)ReferenceModel::from_json(text, "bad.nam");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("every NAM-made file renders a finite, non-trivial signal at every size") {
  const std::vector<double> x = test_signal(3000);
  for (const std::string& path :
       {kNam05 + "wavenet.nam", kNam05 + "lstm.nam", kNam05 + "wavenet_a1_standard.nam",
        kNam07 + "A2.nam", kNam07 + "slimmable_container.nam", kNam07 + "slimmable_wavenet.nam",
        kNam07 + "wavenet_a2_max.nam", kNam07 + "wavenet_condition_dsp.nam"}) {
    CAPTURE(path);
    const ReferenceModel m = ReferenceModel::load(path);
    std::vector<double> slims{1.0};
    for (double b : m.size_breakpoints()) slims.push_back(b / 2);  // one value inside each size
    for (double slim : slims) {
      CAPTURE(slim);
      RenderOptions o;
      o.slim = slim;
      const std::vector<double> y = m.render(x, o);
      REQUIRE(y.size() == x.size());
      for (double v : y) REQUIRE(std::isfinite(v));
      // Non-trivial: the output moves with the input, not just an offset.
      double lo = y[0], hi = y[0];
      for (double v : y) lo = std::min(lo, v), hi = std::max(hi, v);
      CHECK(hi - lo > 1e-3);
    }
  }
}

TEST_CASE(
    "pre-warm counts: one sample plus every look-back, the condition model's first, LSTM half a "
    "second") {
  // tiny WaveNet: 1 + (1 + 2)*2 + 8*2 = 23; its condition_dsp twin adds the main model's 22.
  CHECK(ReferenceModel::load(kNam05 + "wavenet.nam").prewarm_samples() == 23);
  CHECK(ReferenceModel::load(kNam07 + "wavenet_condition_dsp.nam").prewarm_samples() == 23 + 22);
  // A1 standard: 1 + 2 * 2 * (1 + 2 + ... + 512).
  CHECK(ReferenceModel::load(kNam05 + "wavenet_a1_standard.nam").prewarm_samples() == 1 + 4 * 1023);
  CHECK(ReferenceModel::load(kNam05 + "lstm.nam").prewarm_samples() == 24000);
  // A2: 16 layers of kernel 6 over dilations 1..239 (sum 409 per 7), 2 of kernel 15 (1 and 13),
  // and the head conv of kernel 16.
  const ReferenceModel a2 = ReferenceModel::load(kNam07 + "A2.nam");
  CHECK(a2.prewarm_samples() == 1 + 3 * 409 * 5 + (1 + 13) * 14 + 15);
  // The container pre-warms only the submodel in use: the LSTM below 0.33.
  const ReferenceModel container = ReferenceModel::load(kNam07 + "slimmable_container.nam");
  CHECK(container.prewarm_samples(0.1) == 24000);
  CHECK(container.prewarm_samples(0.5) == 23);
}

TEST_CASE(
    "A2.nam: lite below 0.5, full from 0.5 on, with the shapes of the presets a2-lite and "
    "a2-full") {
  const ReferenceModel a2 = ReferenceModel::load(kNam07 + "A2.nam");
  CHECK(a2.version() == "0.7.0");
  CHECK(a2.size_breakpoints() == std::vector<double>{0.5});
  const std::string lite = a2.describe(0.49), full = a2.describe(0.5);
  CHECK(lite.find("23 layers, channels 3, bottleneck 3, head 1 (kernel 16)") != std::string::npos);
  CHECK(full.find("23 layers, channels 8, bottleneck 8, head 1 (kernel 16)") != std::string::npos);
  CHECK(a2.describe(1.0) == full);
  const std::vector<double> x = test_signal(800);
  RenderOptions at;
  at.slim = 0.49;
  const std::vector<double> y_lite = a2.render(x, at);
  at.slim = 0.5;
  CHECK(max_abs_difference(y_lite, a2.render(x, at)) > 1e-3);
  CHECK(max_abs_difference(a2.render(x), a2.render(x, at)) == 0.0);
}

TEST_CASE("slimmable WaveNet: 1, 2 or 3 channels for slim below 1/3, below 2/3, and from 2/3") {
  const ReferenceModel m = ReferenceModel::load(kNam07 + "slimmable_wavenet.nam");
  REQUIRE(m.size_breakpoints().size() == 2);
  CHECK(m.size_breakpoints()[0] == doctest::Approx(1.0 / 3));
  CHECK(m.describe(0.0).find("channels 1,") != std::string::npos);
  CHECK(m.describe(0.33).find("channels 1,") != std::string::npos);
  CHECK(m.describe(0.34).find("channels 2,") != std::string::npos);
  CHECK(m.describe(0.67).find("channels 3,") != std::string::npos);
  CHECK(m.describe(1.0).find("channels 3,") != std::string::npos);
}

TEST_CASE("pre-warming: the first samples are those after silence, not after zero history") {
  const ReferenceModel m = ReferenceModel::load(kNam05 + "wavenet.nam");
  const std::vector<double> x = test_signal(200);
  RenderOptions cold;
  cold.prewarm_samples = 0;
  const std::vector<double> warm = m.render(x), from_zero = m.render(x, cold);
  CHECK(std::fabs(warm[0] - from_zero[0]) > 1e-4);
  // A finite receptive field: more silence than 23 samples changes nothing.
  RenderOptions longer;
  longer.prewarm_samples = 500;
  CHECK(max_abs_difference(warm, m.render(x, longer)) == 0.0);
  // Past the receptive field the history no longer matters.
  CHECK(std::fabs(warm[100] - from_zero[100]) == 0.0);
}

TEST_CASE("bad files are refused with the key and the file named") {
  const std::string tiny = read_text(kNam05 + "wavenet.nam");
  const std::string a2max = read_text(kNam07 + "wavenet_a2_max.nam");
  CHECK(load_error(tiny) == "");
  CHECK(load_error(a2max) == "");

  std::string e =
      load_error(replace_once(tiny, "\"head_scale\"", "\"mystery\": 1, \"head_scale\""));
  CHECK(e.find("bad.nam") != std::string::npos);
  CHECK(e.find("config.mystery") != std::string::npos);

  e = load_error(
      replace_once(tiny, "\"kernel_size\": 3", "\"kernel_size\": 3, \"dilation_rate\": 2"));
  CHECK(e.find("config.layers[0].dilation_rate") != std::string::npos);

  e = load_error(replace_once(a2max, "\"conv_pre_film\": {", "\"conv_pre_film\": {\"bias\": 0, "));
  CHECK(e.find("config.condition_dsp.config.layers[0].conv_pre_film.bias") != std::string::npos);

  e = load_error(replace_once(tiny, "\"version\": \"0.5.4\"", "\"version\": \"0.8.0\""));
  CHECK(e.find("version") != std::string::npos);
  CHECK(e.find("0.8.0") != std::string::npos);

  e = load_error(replace_once(tiny, "\"Tanh\"", "\"Swish\""));
  CHECK(e.find("config.layers[0].activation") != std::string::npos);
  CHECK(e.find("Swish") != std::string::npos);

  // One weight too many, and one too few (the first weight dropped).
  e = load_error(replace_once(tiny, "\"weights\": [", "\"weights\": [0.5, "));
  CHECK(e.find("bad.nam: weights") != std::string::npos);
  CHECK(e.find("131") != std::string::npos);
  const size_t open = tiny.find("\"weights\": [") + 12;
  const size_t comma = tiny.find(',', open);
  e = load_error(tiny.substr(0, open) + tiny.substr(comma + 1));
  CHECK(e.find("bad.nam: weights") != std::string::npos);
  CHECK(e.find("more weights") != std::string::npos);

  // In a nested model the message names the path to it.
  e = load_error(replace_once(a2max, "\"head_scale\": 0.02", "\"x\": 1, \"head_scale\": 0.02"));
  CHECK(e.find("config.condition_dsp.config.x") != std::string::npos);
}
