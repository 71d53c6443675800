// Model files. A model without knobs is written as NAM's own .nam format (version 0.5.4), so NAM's
// plugins and runtimes load it; a knob model uses the same layout with the knob declarations and
// the conditioner's weights added, and a version and architecture name ("1.0.0", "KnobWaveNet")
// that make NAM's reader reject it cleanly instead of misreading it. docs/model_format.md is the
// specification. Reading accepts NAM's 0.5.x files (including the legacy WaveNet keys) and ours.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "nn/model.h"

namespace namk {

// NAM's metadata block. Absent optional numbers are written as null.
struct ModelMetadata {
  std::string name, modeled_by, gear_type, gear_make, gear_model, tone_type;
  std::optional<double> input_level_dbu, output_level_dbu, loudness;
  std::optional<double> validation_esr;  // metadata.training.validation_esr
  std::string date;                      // ISO 8601 ("2026-11-26T12:00:00"); empty: now
};

struct LoadedModel {
  std::unique_ptr<Model> model;
  ModelMetadata metadata;
  std::string version;  // the file's "version"
};

// The file's text. Throws UsageError for a model that has no NAM form (none today).
std::string model_to_json(const Model& model, const ModelMetadata& metadata = {});
// Writes atomically (temp file + rename).
void save_model(const Model& model, const std::string& path, const ModelMetadata& metadata = {});

// `name` is what errors call the source. Throws InputError naming the field for anything
// malformed, an unsupported version, or an architecture/option this runtime does not implement.
LoadedModel model_from_json(const std::string& text, const std::string& name);
LoadedModel load_model(const std::string& path);

}  // namespace namk
