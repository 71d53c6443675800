// A path under the system's temp folder that belongs to this process alone. CTest runs a suite's
// float and double twins at the same time, and two checkouts may run their tests on one machine at
// once: under a fixed name one run would delete or overwrite the other's files mid-test.
#pragma once

#include <filesystem>
#include <string>

#include <unistd.h>

namespace namk::test {

inline std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
}

}  // namespace namk::test
