// A WaveNet layer array's entry in NAM's "config.layers", read and written beside the layer array
// (layer_array.h), so a new layer option touches that file and this one. Reads every layer key of
// NAM 0.5 to 0.7; the options the fused layer does not run are kept in LayerArrayConfig::general
// (the general residual layer's). Shapes that do not fit are refused by name (docs/model_format.md).
#pragma once

#include <string>

#include "base/json.h"
#include "nn/model.h"

namespace namk {

LayerArrayConfig read_layer_array_config(const Json& j);
// NAM's 0.5 keys when the array fits them (fits_nam_05()), else 0.7's.
std::string write_layer_array_config(const LayerArrayConfig& config);

}  // namespace namk
