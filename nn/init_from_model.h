// Starting a model's weights from an existing capture (`train --init M.nam`, issue 13): a long
// take at one setting, already trained into a plain NAM model, gives a knob model of the same
// architecture its starting point, so short takes at the other settings only have to teach the
// knobs.
#pragma once

#include <string>

#include "nn/model.h"

namespace namk {

// Copies `source`'s weights into `target`, tensor by tensor through both parameter layouts:
// - a source without knobs gives the architecture's tensors; the target's conditioner keeps what
//   init_params() gave it (FiLM starts as the identity), except that a tone stack's fixed EQ
//   becomes the biases of the conditioner's control rows, so the target then computes exactly what
//   the source does at every knob setting;
// - a source with the same knobs (names, in order) and the same conditioning gives every tensor.
// Every architecture tensor must exist in both with the same name and shape. Throws
// InputError naming `source_name`, the tensor, and both shapes (or the knob mismatch). Call before
// prepare() (streaming packs the weights there).
void init_from_model(Model& target, const Model& source, const std::string& source_name);

}  // namespace namk
