// read_text_file: the bytes of a file, or an InputError naming the path for a missing file or a
// folder (which opens as a stream on Linux and would otherwise read as empty).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "base/error.h"
#include "base/text_file.h"

using namespace namk;

TEST_CASE("read_text_file returns the bytes and names the path when it cannot") {
  // Per process: the float and double suites run this at the same time.
  const auto dir = std::filesystem::temp_directory_path() / ("namk_text_file_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "a.json").string();
  {
    std::ofstream out(file, std::ios::binary);
    out << "{\"x\": 1}\n";
  }
  CHECK(read_text_file(file, "a thing") == std::string("{\"x\": 1}\n"));
  CHECK_THROWS_WITH_AS(read_text_file((dir / "missing.json").string(), "a model file"),
                       doctest::Contains("missing.json: expected a model file, found no such file (or it cannot be read)"),
                       InputError);
  CHECK_THROWS_WITH_AS(read_text_file(dir.string(), "a model file"),
                       doctest::Contains("expected a model file, found no such file"), InputError);
  std::filesystem::remove_all(dir);
}
