// nam_reference_render writes what ReferenceModel::render computes (as float32), honours --slim
// and --prewarm, and fails cleanly on bad arguments.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "nam_reference.h"
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
