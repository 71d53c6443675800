// A knob WaveNet written as a plain NAM 0.7 WaveNet whose input channels after the audio are the
// knobs, at their values as the user turns them (docs/model_format.md, "Knob conditioning in NAM's
// format"): in_channels = 1 + knobs, the knob normalisation folded into the first affine map that
// reads them. Concat: the condition already is [audio; knobs]. FiLM: a condition_dsp of two
// kernel-1 layers computes the conditioner's MLP (and copies the audio), and each layer's
// activation_pre_film selects its gamma and beta. What NAM's format cannot express is refused.
#pragma once

#include <string>

#include "nn/model.h"
#include "nn/model_file.h"

namespace namk {

// The metadata key (NAM's readers ignore keys they do not know) listing the knob channels in
// channel order: [{"channel": 1, "name", "min", "max", "default", "units"}, ...].
inline constexpr const char* kKnobInputsKey = "namk_knob_inputs";

// The file's text. `file` names the model in errors: InputError for a model the format cannot
// express this way (ToneStackWaveNet, an LSTM/ConvNet/Linear with knobs, FiLM on array heads, a
// slimmable array), UsageError for a model without knobs.
// A model read from such a file (in_channels > 1) is written back as it is.
std::string knob_inputs_json(const Model& model, const ModelMetadata& metadata, const std::string& file);

// metadata with kKnobInputsKey listing these knobs (replacing any), and without the null numbers a
// kept block may hold (NAM's runtime refuses a null loudness).
ModelMetadata knob_inputs_metadata(const ModelMetadata& metadata, const std::vector<KnobSpec>& knobs);

// A file's kKnobInputsKey list read back as knobs (channel j + 1 is knob j); `inputs` is the file's
// in_channels. Throws InputError naming the file and key when the list is missing or does not fit.
std::vector<KnobSpec> read_knob_inputs(const std::optional<Json>& metadata, Index inputs, const std::string& file);

}  // namespace namk
