// Checked values of model configs, shared by the architecture readers (model_config.cpp) and the
// layers' own config readers (nn/layers/*_config.cpp). Each throws the Json value's error, which
// names the file, the key, what was expected and what was found.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "core/kernels/pointwise.h"
#include "nn/model.h"

namespace namk {

// Upper bounds on every size a config declares, checked as it is read: they keep the parameter
// counts the constructors multiply out far from overflow, and make_model() then checks the
// products (kMaxModelParams, kMaxReceptiveField) before anything is allocated. NAM's A1 presets
// use at most 16 channels, kernel 3 and dilation 512; A2 kernel 16 and dilation 239.
inline constexpr long long kMaxWidth = 4096;        // channels, head and hidden sizes
inline constexpr long long kMaxKernel = 1024;
inline constexpr long long kMaxDilation = 1 << 20;  // also Linear's receptive_field
inline constexpr long long kMaxLstmLayers = 64;

Index read_positive(const Json& j, long long max, long long min = 1);
// A number the float32 model can hold: finite in double and as float.
double read_finite_number(const Json& j);
std::vector<Index> read_dilations(const Json& j);
// A name ("Tanh") or, as NAM 0.6+ writes it, an object {"type": name, parameters...}. Only the
// parameters the runtime implements are accepted (LeakyReLU's default slope).
Activation read_activation(const Json& j);
// The same, with every activation NAM writes and its parameters (LeakyReLU's negative_slope,
// PReLU's negative_slope or negative_slopes, LeakyHardtanh's min_val, max_val, min_slope, max_slope).
LayerActivation read_layer_activation(const Json& j);
// The fused layer's activation when one means the same (none for PReLU, Hardswish, LeakyHardtanh,
// and LeakyReLU with another slope than 0.01).
std::optional<Activation> fused_activation(const LayerActivation& a);
// NAM's spelling: a name, or an object when the activation has parameters.
std::string write_layer_activation(const LayerActivation& a);

}  // namespace namk
