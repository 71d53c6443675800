// The --knob automation parser ("gain=2@0s,8@5s"), against a model with two knobs. Each line of
// the input is one --knob argument.
#include "apps/knob_automation.h"
#include "fuzz_util.h"

namespace {
const namk::Model& knob_model() {
  static const std::unique_ptr<namk::Model> model = [] {
    namk::ModelConfig c;
    c.architecture = "Linear";
    c.linear.receptive_field = 2;
    c.knobs = {namk::KnobSpec{"gain", 0, 10, 5, ""}, namk::KnobSpec{"tone", -1, 1, 0, "dB"}};
    return namk::make_model(c);
  }();
  return *model;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> arguments(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n')
      arguments.emplace_back();
    else
      arguments.back() += static_cast<char>(data[i]);
  }
  namk::fuzz::refusals_allowed([&] { namk::app::parse_knob_arguments(arguments, knob_model()); });
  return 0;
}
