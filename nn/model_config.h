// Model configs from JSON: configs/models/*.json and the architecture part of .nam files.
// A model config is {"preset": name} or {"architecture": ..., "config": {NAM's keys}}, plus
// optional "knobs", "conditioning", "sample_rate" and "smoothing_ms" (see configs/models/README.md).
// Every error names the file and the field. Writing configs back out is the export issue's job.
#pragma once

#include <string>

#include "base/json.h"
#include "nn/model.h"

namespace namk {

ModelConfig model_config_from_json(const Json& j);
ModelConfig load_model_config(const std::string& path);

// NAM's "config" object for an architecture (one of nn/architecture.h's list), into config.
void read_nam_architecture(const std::string& architecture, const Json& j, ModelConfig& config);

// "knobs": [{"name", "min", "max", "default", "units"}]
std::vector<KnobSpec> read_knobs(const Json& j);

// Checked "sample_rate" (Hz) and "smoothing_ms" values (shared with model files).
inline constexpr double kMinSampleRate = 1000, kMaxSampleRate = 768000;
inline constexpr double kMaxSmoothingMs = 10000;
double read_sample_rate(const Json& j);
double read_smoothing_ms(const Json& j);

// "conditioning": {"method", "hidden", "activation", "shift", "head", "separable"} (shared with model files).
void read_conditioning(const Json& c, ModelConfig& config);

}  // namespace namk
