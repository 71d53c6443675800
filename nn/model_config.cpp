// See model_config.h.
#include "nn/model_config.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "nn/architecture.h"
#include "nn/config_values.h"
#include "nn/layers/layer_array_config.h"

namespace namk {

std::vector<KnobSpec> read_knobs(const Json& j) {
  std::vector<KnobSpec> knobs;
  for (const Json& k : j.items()) {
    k.allow_only({"name", "min", "max", "default", "units"});
    KnobSpec spec;
    spec.name = k["name"].string();
    if (spec.name.empty()) throw k["name"].error("a non-empty name");
    for (const KnobSpec& other : knobs)
      if (other.name == spec.name) throw k["name"].error("a name not used by another knob");
    spec.min = read_finite_number(k["min"]);
    spec.max = read_finite_number(k["max"]);
    if (!(spec.min < spec.max)) throw k["max"].error("a number greater than min");
    // normalise() divides by the span: min and max may be finite while their difference is not.
    if (!(spec.max - spec.min <= FLT_MAX)) {
      char span[32];
      std::snprintf(span, sizeof span, "max - min = %g", spec.max - spec.min);
      throw k["max"].error("a range max - min that is finite (within float32's range)", span);
    }
    spec.default_value = k.has("default") ? read_finite_number(k["default"]) : spec.min;
    if (!(spec.min <= spec.default_value && spec.default_value <= spec.max))
      throw k["default"].error("a number in [min, max]");
    spec.units = k.string_or("units", "");
    knobs.push_back(spec);
  }
  return knobs;
}

void read_wavenet_config(const Json& j, ModelConfig& config) {
  j.allow_only({"layers", "head", "head_scale", "condition_dsp", "in_channels"});
  if (auto head = j.find("head"); head && !head->is_null())
    throw head->error("null (a post-head is not supported)");
  if (auto dsp = j.find("condition_dsp"); dsp && !dsp->is_null())
    throw dsp->error("null (a condition_dsp model is not supported yet)", "a model object");
  if (auto in = j.find("in_channels"); in && in->integer() != 1)
    throw in->error("1 (more input channels are not supported yet)");
  config.wavenet.head_scale = read_finite_number(j["head_scale"]);
  config.wavenet.layers.clear();
  for (const Json& l : j["layers"].items()) config.wavenet.layers.push_back(read_layer_array_config(l));
}

void read_lstm_config(const Json& j, ModelConfig& config) {
  j.allow_only({"input_size", "hidden_size", "num_layers"});
  config.lstm.input_size = read_positive(j["input_size"], kMaxWidth);
  config.lstm.hidden_size = read_positive(j["hidden_size"], kMaxWidth);
  config.lstm.num_layers = read_positive(j["num_layers"], kMaxLstmLayers);
}

void read_convnet_config(const Json& j, ModelConfig& config) {
  j.allow_only({"channels", "dilations", "batchnorm", "activation"});
  config.convnet.channels = read_positive(j["channels"], kMaxWidth);
  config.convnet.dilations = read_dilations(j["dilations"]);
  config.convnet.batchnorm = j.boolean_or("batchnorm", false);
  config.convnet.activation = read_activation(j["activation"]);
}

void read_linear_config(const Json& j, ModelConfig& config) {
  j.allow_only({"receptive_field", "bias"});
  config.linear.receptive_field = read_positive(j["receptive_field"], kMaxDilation);
  config.linear.bias = j.boolean_or("bias", false);
}

void read_nam_architecture(const std::string& architecture, const Json& j, ModelConfig& config) {
  config.architecture = architecture;
  const Architecture* a = find_architecture(architecture);
  if (!a) throw input_error(j.file(), "architecture", "one of " + architecture_names(), json_quote(architecture));
  a->read_config(j, config);
}

double read_sample_rate(const Json& j) {
  const double rate = j.number();
  if (!(rate >= kMinSampleRate && rate <= kMaxSampleRate))
    throw j.error("a sample rate in [" + std::to_string(int(kMinSampleRate)) + ", " +
                  std::to_string(int(kMaxSampleRate)) + "] Hz");
  return rate;
}

double read_smoothing_ms(const Json& j) {
  const double ms = j.number();
  if (!(ms >= 0 && ms <= kMaxSmoothingMs))
    throw j.error("a number of milliseconds in [0, " + std::to_string(int(kMaxSmoothingMs)) + "]");
  return ms;
}

void read_conditioning(const Json& c, ModelConfig& config) {
  c.allow_only({"method", "hidden", "activation", "shift", "head"});
  const std::string method = c.string_or("method", "film");
  if (method == "film")
    config.conditioning = Conditioning::Film;
  else if (method == "concat")
    config.conditioning = Conditioning::Concat;
  else
    throw c["method"].error("\"film\" or \"concat\"");
  config.film.hidden = c.has("hidden") ? read_positive(c["hidden"], kMaxWidth) : config.film.hidden;
  if (c.has("activation")) config.film.activation = read_activation(c["activation"]);
  config.film.shift = c.boolean_or("shift", true);
  config.film.head = c.boolean_or("head", false);
}

ModelConfig model_config_from_json(const Json& j) {
  j.allow_only({"comment", "preset", "architecture", "config", "knobs", "conditioning",
                "sample_rate", "smoothing_ms"});
  if (auto comment = j.find("comment")) comment->string();  // free text, for people
  ModelConfig config;
  if (auto preset = j.find("preset")) {
    if (j.has("config"))
      throw preset->error("either \"preset\" or \"architecture\" with \"config\", not both");
    try {
      config = preset_config(preset->string());
    } catch (const InputError&) {
      throw preset->error("one of standard, lite, feather, nano");
    }
    if (auto a = j.find("architecture"); a && a->string() != config.architecture)
      throw a->error(json_quote(config.architecture) + " (the preset's architecture)");
  } else {
    read_nam_architecture(j["architecture"].string(), j["config"], config);
  }
  if (auto knobs = j.find("knobs")) config.knobs = read_knobs(*knobs);
  if (auto c = j.find("conditioning")) read_conditioning(*c, config);
  if (auto rate = j.find("sample_rate")) config.sample_rate = read_sample_rate(*rate);
  if (auto ms = j.find("smoothing_ms")) config.smoothing_ms = read_smoothing_ms(*ms);
  return config;
}

ModelConfig load_model_config(const std::string& path) {
  return model_config_from_json(Json::parse_file(path));
}

}  // namespace namk
