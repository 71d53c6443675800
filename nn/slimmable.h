// NAM 0.7's slimmable WaveNets: a layer array with a "slimmable" block can run at any of its
// allowed widths. A slim value v in [0, 1] picks, per slimmable array, entry min(floor(v n), n-1)
// of its n widths, and the narrower model keeps the top-left corner of every tensor (the first
// outputs and inputs, all taps). Done once at load time: the cut model is an ordinary WaveNet, so
// streaming and training need nothing of their own. Knob models are not slimmed.
#pragma once

#include <memory>
#include <vector>

#include "nn/model.h"

namespace namk {

// Whether any layer array of this config is slimmable.
bool is_slimmable(const ModelConfig& config);
// The slim values where the model changes size, as a SlimmableContainer's max_values: sorted, the
// last 1 (each width serves v below its value).
std::vector<double> slim_breakpoints(const ModelConfig& config);
// Which size a slim value v picks, given the sizes' max_values (a container's, or the breakpoints
// above): the first whose max_value is above v, else the last.
size_t slim_size_index(const std::vector<double>& max_values, double v);
// The model at slim value v, its weights the corners of full's. Throws UsageError for knob models.
std::unique_ptr<Model> slim_wavenet(const Model& full, double v);

}  // namespace namk
