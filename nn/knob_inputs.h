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
std::string knob_inputs_json(const Model& model, const ModelMetadata& metadata, const std::string& file);

}  // namespace namk
