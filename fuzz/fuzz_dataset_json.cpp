// Dataset JSON (entries, knobs, splits, positions). The first byte picks infer_knob_ranges, so
// both readings are explored; the rest is the document.
#include "data/dataset_spec.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namk::fuzz::refusals_allowed([&] {
    const namk::Json root = namk::Json::parse_string(namk::fuzz::text(data + 1, size - 1), "fuzz.json");
    namk::parse_dataset(root, data[0] & 1, [](const std::string&) {});
  });
  return 0;
}
