// Shared by the libFuzzer targets (see fuzz/README.md). A target feeds one input to one reader;
// the reader may refuse it with namk::Error (the documented outcome for bad input) and must do
// nothing else: any other exception, a crash or a sanitizer report is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"

namespace namk::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs f; namk::Error is a refusal and ends the run quietly. Anything else escapes and aborts.
template <class F>
void refusals_allowed(F&& f) {
  try {
    f();
  } catch (const namk::Error&) {
  }
}

}  // namespace namk::fuzz
