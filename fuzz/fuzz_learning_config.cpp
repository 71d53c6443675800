// Learning configs (configs/learning/*.json).
#include "fuzz_util.h"
#include "train/learning_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namk::fuzz::refusals_allowed([&] { namk::parse_learning_config(namk::fuzz::text(data, size), "fuzz.json"); });
  return 0;
}
