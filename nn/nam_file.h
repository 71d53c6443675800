// Loading NAM's .nam model files (versions 0.5.x) into our models. The flat parameter buffer is
// in NAM's weight order, so loading is a copy; WaveNet's head_scale, the last weight, goes to the
// config. Rejects other versions, unsupported architectures and options with a clear message.
// Writing .nam files and knob-model files is the export issue's (issue 6).
#pragma once

#include <memory>
#include <string>

#include "core/json.h"
#include "nn/model.h"

namespace namk {

std::unique_ptr<Model> load_nam(const std::string& path);
std::unique_ptr<Model> load_nam(const Json& j);

}  // namespace namk
