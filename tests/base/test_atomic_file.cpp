// write_text_atomically: the whole file or none, and a failed write names the temp file, what was
// expected and the system's reason.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/text_file.h"

using namespace namk;

TEST_CASE("write_text_atomically writes the bytes, and names the file and the reason when it cannot") {
  const auto dir = std::filesystem::temp_directory_path() / ("namk_atomic_file_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "a.json").string();
  write_text_atomically(file, "{\"x\": 1}\n");
  CHECK(read_text_file(file, "a thing") == std::string("{\"x\": 1}\n"));
  write_text_atomically(file, "{}");  // replaces the old file whole
  CHECK(read_text_file(file, "a thing") == std::string("{}"));
  CHECK(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()) == 1);

  // A folder that does not exist: the temp file cannot be created.
  const std::string lost = (dir / "gone" / "b.json").string();
  const std::string expected =
      "gone/b.json.tmp-" + std::to_string(getpid()) + ": expected a writable file, found No such file or directory";
  CHECK_THROWS_WITH_AS(write_text_atomically(lost, "{}"), doctest::Contains(expected.c_str()), InputError);
  CHECK_FALSE(std::filesystem::exists(dir / "gone"));
  std::filesystem::remove_all(dir);
}
