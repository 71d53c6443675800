// See config_values.h.
#include "nn/config_values.h"

#include <cfloat>
#include <cmath>

#include "base/error.h"

namespace namk {

Index read_positive(const Json& j, long long max, long long min) {
  const long long v = j.integer();
  if (v < min || v > max)
    throw j.error("an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<Index>(v);
}

double read_finite_number(const Json& j) {
  const double v = j.number();
  if (!(std::abs(v) <= FLT_MAX)) throw j.error("a finite number (within float32's range)");
  return v;
}

std::vector<Index> read_dilations(const Json& j) {
  std::vector<Index> d;
  for (const Json& item : j.items()) d.push_back(read_positive(item, kMaxDilation));
  if (d.empty()) throw j.error("a non-empty list of dilations");
  return d;
}

namespace {
Activation activation_named(const Json& j) {
  const std::string name = j.string();
  try {
    return activation_from_name(name);
  } catch (const UsageError&) {
    // NAM also writes PReLU, LeakyHardtanh and Hardswish, which this runtime does not implement.
    throw j.error("one of Identity, Tanh, Sigmoid, ReLU, LeakyReLU, Hardtanh, SiLU, Softsign");
  }
}
}  // namespace

Activation read_activation(const Json& j) {
  if (!j.is_object()) return activation_named(j);
  const Activation a = activation_named(j["type"]);
  if (a != Activation::LeakyReLU) {
    j.allow_only({"type"});
    return a;
  }
  j.allow_only({"type", "negative_slope"});
  // The kernels hold the slope as a constant (PyTorch's default, which A2 uses); NAM stores the
  // parameter as float32, so compare there.
  if (auto slope = j.find("negative_slope");
      slope && static_cast<float>(slope->number()) != static_cast<float>(kLeakyReluSlope))
    throw slope->error("0.01 (other LeakyReLU slopes are not supported yet)");
  return a;
}

}  // namespace namk
