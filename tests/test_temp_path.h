// A path under the system's temp folder that belongs to this process alone. CTest runs a suite's
// float and double twins at the same time, and two checkouts may run their tests on one machine at
// once: under a fixed name one run would delete or overwrite the other's files mid-test.
// Every path handed out is removed when the test program exits normally, so a test run leaves
// nothing in the temp folder (it left some twenty files and folders per run); a run that crashes
// leaves them for a look.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace namk::test {

class TempPaths {
 public:
  static const std::filesystem::path& add(std::filesystem::path p) {
    return instance().paths_.emplace_back(std::move(p));
  }
  TempPaths(const TempPaths&) = delete;
  TempPaths& operator=(const TempPaths&) = delete;
  ~TempPaths() {
    for (const auto& p : paths_) {
      std::error_code ignored;  // already gone, or never made: nothing to do
      std::filesystem::remove_all(p, ignored);
    }
  }

 private:
  TempPaths() = default;
  static TempPaths& instance() {
    static TempPaths paths;
    return paths;
  }
  std::vector<std::filesystem::path> paths_;
};

inline std::filesystem::path temp_path(const std::string& name) {
  return TempPaths::add(std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid())));
}

}  // namespace namk::test
