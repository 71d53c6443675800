// Model files. A model without knobs is written as NAM's own .nam format (version 0.5.4), so NAM's
// plugins and runtimes load it; a knob model uses the same layout with the knob declarations and
// the conditioner's weights added, and a version and architecture name ("1.0.0", "KnobWaveNet")
// that make NAM's reader reject it cleanly instead of misreading it. docs/model_format.md is the
// specification. Reading accepts NAM's 0.5.x to 0.7.x files (the options nn/ implements; the others
// are refused by name), SlimmableContainers (one submodel at a time) and ours.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "nn/model.h"

namespace namk {

// NAM's metadata block. The fields are the keys nam-knobs reads. Reading also keeps every key of
// the file's block as it was written (`kept`, and `training_kept` for the training object), so a
// file read and written again keeps its metadata: NAM's date object, the trainer's data checks
// and latency calibration, keys a newer writer adds, a known key holding another type (a null
// name). Writing: the kept keys in file order, each replaced by its field when the field is set;
// then the known keys the file lacked, from their fields or empty ("" or null; gain left out).
struct ModelMetadata {
  std::string name, modeled_by, gear_type, gear_make, gear_model, tone_type;
  std::optional<double> input_level_dbu, output_level_dbu;
  // The output level (dB) of the model's response to NAM's standard input (docs/model_format.md).
  std::optional<double> loudness;
  std::optional<double> gain;            // NAM's trainer's input-to-output level ratio of the data
  std::optional<double> validation_esr;  // metadata.training.validation_esr
  std::string date;                      // ISO 8601 ("2026-11-26T12:00:00"); empty and none kept: now
  std::vector<std::pair<std::string, std::string>> kept, training_kept;  // key, JSON text
};

// The kept keys that none of the fields above holds (for `info`), date aside.
std::vector<std::pair<std::string, std::string>> metadata_extras(const ModelMetadata& metadata);

// The metadata block of a file (absent, null or an object) and back, as model files read and write it.
ModelMetadata metadata_from_json(const std::optional<Json>& block);
std::string metadata_to_json(const ModelMetadata& metadata);

// The date as ISO 8601 text, from `date` or a kept NAM date object ({"year": 2026, ...}); "" if none.
std::string metadata_date(const ModelMetadata& metadata);

struct LoadedModel {
  std::unique_ptr<Model> model;
  ModelMetadata metadata;
  std::string version;  // the file's "version"
  // The slim values where a SlimmableContainer or a slimmable WaveNet changes size (a container's
  // max_values; empty for other files), and which size was loaded.
  std::vector<double> slim_max_values;
  size_t slim_choice = 0;
};

// The file's text. Throws UsageError for a model that has no NAM form (none today).
std::string model_to_json(const Model& model, const ModelMetadata& metadata = {});
// A plain NAM 0.7 WaveNet file from a config (wavenet: in_channels and condition_dsp included) and
// its weights in NAM's order, head_scale excluded (written last from the config): for files this
// runtime cannot run itself, such as a knob model with its knobs as input channels (nn/knob_inputs.h).
std::string nam_wavenet_json(const ModelConfig& config, std::span<const Scalar> weights,
                             const ModelMetadata& metadata);
// Writes atomically (temp file + rename).
void save_model(const Model& model, const std::string& path, const ModelMetadata& metadata = {});

// `name` is what errors call the source. Throws InputError naming the field for anything
// malformed, an unsupported version, or an architecture/option this runtime does not implement.
// slim (0..1) picks a SlimmableContainer's submodel or a slimmable WaveNet's width (nn/slimmable.h);
// without it both load at full size. Other files ignore it.
LoadedModel model_from_json(const std::string& text, const std::string& name,
                            std::optional<double> slim = std::nullopt);
LoadedModel load_model(const std::string& path, std::optional<double> slim = std::nullopt);

}  // namespace namk
