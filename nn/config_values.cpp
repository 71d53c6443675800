// See config_values.h.
#include "nn/config_values.h"

#include <cfloat>
#include <cmath>
#include <cstdio>

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
    // PReLU, LeakyHardtanh and Hardswish run only in the general residual layer (read_layer_activation).
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

namespace {
struct NamedActivation {
  const char* name;
  LayerActivation::Kind kind;
};
// "LeakyHardTanh" is a second spelling NAM's runtime accepts.
constexpr NamedActivation kLayerActivations[] = {
    {"Tanh", LayerActivation::Kind::Tanh},           {"Hardtanh", LayerActivation::Kind::Hardtanh},
    {"ReLU", LayerActivation::Kind::ReLU},           {"LeakyReLU", LayerActivation::Kind::LeakyReLU},
    {"PReLU", LayerActivation::Kind::PReLU},         {"Sigmoid", LayerActivation::Kind::Sigmoid},
    {"SiLU", LayerActivation::Kind::SiLU},           {"Hardswish", LayerActivation::Kind::Hardswish},
    {"LeakyHardtanh", LayerActivation::Kind::LeakyHardtanh}, {"LeakyHardTanh", LayerActivation::Kind::LeakyHardtanh},
    {"Softsign", LayerActivation::Kind::Softsign}};

Scalar float_parameter(const Json& j) { return static_cast<Scalar>(read_finite_number(j)); }
}  // namespace

LayerActivation read_layer_activation(const Json& j) {
  const Json name = j.is_object() ? j["type"] : j;
  LayerActivation a;
  bool found = false;
  for (const NamedActivation& n : kLayerActivations)
    if (name.string() == n.name) {
      a.kind = n.kind;
      found = true;
    }
  if (!found)
    throw name.error("one of Tanh, Hardtanh, ReLU, LeakyReLU, PReLU, Sigmoid, SiLU, Hardswish, LeakyHardtanh, Softsign");
  if (!j.is_object()) return a;
  using K = LayerActivation::Kind;
  if (a.kind == K::LeakyReLU) {
    j.allow_only({"type", "negative_slope"});
    if (auto s = j.find("negative_slope")) a.slopes = {float_parameter(*s)};
  } else if (a.kind == K::PReLU) {
    j.allow_only({"type", "negative_slope", "negative_slopes"});
    if (auto s = j.find("negative_slope")) a.slopes = {float_parameter(*s)};
    if (auto list = j.find("negative_slopes")) {
      a.slopes.clear();
      for (const Json& s : list->items()) a.slopes.push_back(float_parameter(s));
      if (a.slopes.empty()) throw list->error("at least one slope");
    }
  } else if (a.kind == K::LeakyHardtanh) {
    j.allow_only({"type", "min_val", "max_val", "min_slope", "max_slope"});
    if (auto v = j.find("min_val")) a.min_val = float_parameter(*v);
    if (auto v = j.find("max_val")) a.max_val = float_parameter(*v);
    if (auto v = j.find("min_slope")) a.min_slope = float_parameter(*v);
    if (auto v = j.find("max_slope")) a.max_slope = float_parameter(*v);
  } else {
    j.allow_only({"type"});
  }
  return a;
}

std::optional<Activation> fused_activation(const LayerActivation& a) {
  using K = LayerActivation::Kind;
  switch (a.kind) {
    case K::Tanh: return Activation::Tanh;
    case K::Hardtanh: return Activation::Hardtanh;
    case K::ReLU: return Activation::ReLU;
    case K::Sigmoid: return Activation::Sigmoid;
    case K::SiLU: return Activation::SiLU;
    case K::Softsign: return Activation::Softsign;
    case K::LeakyReLU:
      // The kernels hold PyTorch's default slope as a constant; NAM stores it as float32.
      if (a.slopes.front() == static_cast<Scalar>(kLeakyReluSlope)) return Activation::LeakyReLU;
      return std::nullopt;
    default: return std::nullopt;
  }
}

std::string write_layer_activation(const LayerActivation& a) {
  using K = LayerActivation::Kind;
  std::string name;
  for (const NamedActivation& n : kLayerActivations)
    if (n.kind == a.kind && name.empty()) name = n.name;
  const auto number = [](Scalar x) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", static_cast<double>(x));
    return std::string(text);
  };
  const std::string type = "{\"type\": \"" + name + "\"";
  if (a.kind == K::LeakyReLU) return type + ", \"negative_slope\": " + number(a.slopes.front()) + "}";
  if (a.kind == K::PReLU) {
    std::string s = type + ", \"negative_slopes\": [";
    for (size_t i = 0; i < a.slopes.size(); ++i) s += (i ? ", " : "") + number(a.slopes[i]);
    return s + "]}";
  }
  if (a.kind == K::LeakyHardtanh)
    return type + ", \"min_val\": " + number(a.min_val) + ", \"max_val\": " + number(a.max_val) +
           ", \"min_slope\": " + number(a.min_slope) + ", \"max_slope\": " + number(a.max_slope) + "}";
  return "\"" + name + "\"";
}

}  // namespace namk
