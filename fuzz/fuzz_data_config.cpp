// Data configs (configs/knobs/*.json): the reader only; it opens no files.
#include "data/data_config.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namk::fuzz::refusals_allowed([&] {
    namk::parse_data_config(namk::Json::parse_string(namk::fuzz::text(data, size), "fuzz.json"));
  });
  return 0;
}
