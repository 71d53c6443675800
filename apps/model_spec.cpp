// See model_spec.h.
#include "apps/model_spec.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "base/json.h"
#include "base/text_file.h"
#include "nn/model_config.h"

namespace namk::app {

ModelSpec resolve_model_spec(const std::string& preset_or_path) {
  ModelSpec spec;
  const auto presets = preset_names();
  if (std::find(presets.begin(), presets.end(), preset_or_path) != presets.end() &&
      !std::filesystem::exists(preset_or_path)) {
    spec.config = preset_config(preset_or_path);
    spec.text = "{\"preset\": " + json_quote(preset_or_path) + "}\n";
    spec.description = "preset " + preset_or_path;
    return spec;
  }
  if (!std::filesystem::exists(preset_or_path)) {
    std::string names;
    for (const std::string& p : presets) names += (names.empty() ? "" : ", ") + p;
    throw input_error("--model", "", "a preset (" + names + ") or a model config file",
                      "'" + preset_or_path + "', which is neither");
  }
  spec.config = load_model_config(preset_or_path);
  spec.text = read_text_file(preset_or_path, "a model config file");
  spec.description = preset_or_path;
  return spec;
}

}  // namespace namk::app
