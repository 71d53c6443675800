// Model configs (configs/models/*.json) and the factory. The harness caps parameters at a million
// through make_model's count check, so a config asking for the (valid) 1 GiB maximum is refused
// before its allocation instead of slowing every run.
#include "fuzz_util.h"
#include "nn/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namk::fuzz::refusals_allowed([&] {
    const namk::ModelConfig config =
        namk::model_config_from_json(namk::Json::parse_string(namk::fuzz::text(data, size), "fuzz.json"));
    namk::make_model(config, [](namk::Index, namk::Index total) {
      if (total > 1000000) throw namk::InputError("fuzz: more parameters than the harness builds");
    });
  });
  return 0;
}
