// What --model names: a preset ("standard", "nano"...) or a model config file. Shared by the
// commands that create models (train, bench).
#pragma once

#include <string>

#include "nn/model.h"

namespace namk::app {

struct ModelSpec {
  ModelConfig config;
  std::string text;         // the config file's text, or {"preset": NAME}: copied next to results
  std::string description;  // "preset standard" or the path, for messages
};

ModelSpec resolve_model_spec(const std::string& preset_or_path);

}  // namespace namk::app
