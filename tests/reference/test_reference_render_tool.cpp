// nam_reference_render writes what ReferenceModel::render computes (as float32), honours --slim,
// --prewarm and --inputs, and fails cleanly on bad arguments.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nam_reference.h"
#include "nn/knob_inputs.h"
#include "nn/model_test_util.h"
#include "reference_test_util.h"
#include "tests/test_temp_path.h"

using namespace namk::test;
using namk::reference::ReferenceModel;
using namk::reference::RenderOptions;

namespace {

const std::filesystem::path kDir = namk::test::temp_path("namk_reference_render_test");

void write_f32(const std::filesystem::path& path, const std::vector<double>& x) {
  std::ofstream out(path, std::ios::binary);
  for (double v : x) {
    const float s = static_cast<float>(v);
    out.write(reinterpret_cast<const char*>(&s), sizeof s);
  }
}

std::vector<double> read_f32(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<double> y;
  float s = 0;
  while (in.read(reinterpret_cast<char*>(&s), sizeof s)) y.push_back(s);
  return y;
}

int run(const std::string& arguments) {
  const std::string command = std::string(NAMK_REFERENCE_RENDER) + " " + arguments + " 2>/dev/null";
  return std::system(command.c_str());
}

}  // namespace

TEST_CASE("nam_reference_render renders raw float32 files as the library does") {
  std::filesystem::create_directories(kDir);
  std::vector<double> x = test_signal(1000, 9);
  for (double& v : x) v = static_cast<float>(v);
  write_f32(kDir / "in.f32", x);
  const std::string model = kNam07 + "slimmable_wavenet.nam";
  const ReferenceModel ref = ReferenceModel::load(model);
  for (double slim : {1.0, 0.2}) {
    CAPTURE(slim);
    RenderOptions o;
    o.slim = slim;
    o.prewarm_samples = 7;
    const std::filesystem::path out = kDir / "out.f32";
    std::filesystem::remove(out);
    REQUIRE(run((kDir / "in.f32").string() + " " + model + " " + out.string() + " --slim " +
                std::to_string(slim) + " --prewarm 7") == 0);
    const std::vector<double> got = read_f32(out), expected = ref.render(x, o);
    REQUIRE(got.size() == x.size());
    for (size_t t = 0; t < got.size(); ++t) CHECK(got[t] == static_cast<float>(expected[t]));
  }
  CHECK(run((kDir / "in.f32").string() + " " + model + " " + (kDir / "o.f32").string() +
            " --loud 1") != 0);
  CHECK(run((kDir / "in.f32").string() + " " + kDir.string() + "/missing.nam " +
            (kDir / "o.f32").string()) != 0);
  std::filesystem::remove_all(kDir);
}

// A file whose input channels 1 and 2 are knobs: --inputs holds them at the given values.
TEST_CASE("nam_reference_render holds a file's extra input channels at --inputs") {
  std::filesystem::create_directories(kDir);
  std::vector<double> x = test_signal(800, 10);
  for (double& v : x) v = static_cast<float>(v);
  write_f32(kDir / "in.f32", x);
  auto m = namk::make_model(with_two_knobs(tiny_wavenet(), namk::Conditioning::Film));
  randomise(*m, 5);
  const std::string model = (kDir / "knob_inputs.nam").string();
  std::ofstream(model) << namk::knob_inputs_json(*m, {}, "knob_inputs.nam");
  RenderOptions o;
  o.inputs = {7.5, -0.25};
  const std::vector<double> expected = ReferenceModel::load(model).render(x, o);
  const std::filesystem::path out = kDir / "out.f32";
  REQUIRE(run((kDir / "in.f32").string() + " " + model + " " + out.string() + " --inputs 7.5,-0.25") == 0);
  const std::vector<double> got = read_f32(out);
  REQUIRE(got.size() == x.size());
  for (size_t t = 0; t < got.size(); ++t) CHECK(got[t] == static_cast<float>(expected[t]));
  // A different setting renders something else; a missing or malformed channel value fails.
  REQUIRE(run((kDir / "in.f32").string() + " " + model + " " + out.string() + " --inputs 2,0.5") == 0);
  CHECK(max_abs_difference(read_f32(out), got) > 1e-3);
  CHECK(run((kDir / "in.f32").string() + " " + model + " " + out.string() + " --inputs 7.5") != 0);
  CHECK(run((kDir / "in.f32").string() + " " + model + " " + out.string() + " --inputs 7.5,x") != 0);
  CHECK(run((kDir / "in.f32").string() + " " + model + " " + out.string()) != 0);
  std::filesystem::remove_all(kDir);
}
