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

namespace {
// NAM's WaveNet "config" object: {"layers", "head", "head_scale", ...}.
WaveNetConfig read_wavenet_body(const Json& j);

// NAM 0.6's condition_dsp: a whole WaveNet model object (its own version, config and weights, its
// head_scale the last weight) whose output replaces the audio as the layer arrays' condition.
ConditionDsp read_condition_dsp(const Json& j) {
  j.allow_only({"version", "metadata", "architecture", "config", "weights", "sample_rate"});
  if (j["architecture"].string() != "WaveNet") throw j["architecture"].error("\"WaveNet\" (the condition model)");
  ConditionDsp dsp;
  dsp.version = j["version"].string();
  auto config = std::make_shared<WaveNetConfig>(read_wavenet_body(j["config"]));
  if (config->condition_dsp) throw j["config"]["condition_dsp"].error("null (a condition model has no condition model)");
  const std::vector<Json> weights = j["weights"].items();
  if (weights.empty()) throw j["weights"].error("the weights followed by head_scale", "an empty list");
  for (const Json& w : weights) dsp.weights.push_back(static_cast<Scalar>(read_finite_number(w)));
  config->head_scale = dsp.weights.back();  // NAM's runtimes read head_scale from here
  dsp.weights.pop_back();
  if (auto rate = j.find("sample_rate")) dsp.sample_rate = read_sample_rate(*rate);
  dsp.config = std::move(config);
  return dsp;
}

WaveNetConfig read_wavenet_body(const Json& j) {
  j.allow_only({"layers", "head", "head_scale", "condition_dsp", "in_channels"});
  if (auto head = j.find("head"); head && !head->is_null())
    throw head->error("null (a post-head is not supported)");
  WaveNetConfig w;
  if (auto in = j.find("in_channels")) w.in_channels = read_positive(*in, kMaxWidth);
  if (auto dsp = j.find("condition_dsp"); dsp && !dsp->is_null()) {
    w.condition_dsp = read_condition_dsp(*dsp);
    if (w.condition_dsp->config->in_channels != w.in_channels)
      throw (*dsp)["config"].error("a condition model taking the WaveNet's " + std::to_string(w.in_channels) +
                                   " input channels", std::to_string(w.condition_dsp->config->in_channels));
  }
  w.head_scale = read_finite_number(j["head_scale"]);
  for (const Json& l : j["layers"].items()) w.layers.push_back(read_layer_array_config(l));
  return w;
}

// A number in [lo, hi].
double number_in(const Json& j, double lo, double hi) {
  const double v = j.number();
  if (!(v >= lo && v <= hi)) throw j.error("a number in [" + format_number(lo) + ", " + format_number(hi) + "]");
  return v;
}

// "peak", "low_shelf", "high_shelf": the sections whose zero gain is the identity.
BiquadKind tone_section_kind(const Json& j) {
  const std::string type = j.string();
  if (type == "peak") return BiquadKind::Peak;
  if (type == "low_shelf") return BiquadKind::LowShelf;
  if (type == "high_shelf") return BiquadKind::HighShelf;
  throw j.error("one of \"low_shelf\", \"peak\", \"high_shelf\"");
}

// {"sections": [{"type", "min_hz", "max_hz"}...], "max_gain_db", "min_q", "max_q"}; absent keys
// keep ToneStackConfig's defaults (bass, mid, treble).
ToneStackConfig read_tone_stack(const Json& j) {
  j.allow_only({"sections", "max_gain_db", "min_q", "max_q"});
  ToneStackConfig tone;
  if (auto sections = j.find("sections")) {
    tone.sections.clear();
    for (const Json& s : sections->items()) {
      s.allow_only({"type", "min_hz", "max_hz"});
      ToneStackSection section;
      section.kind = tone_section_kind(s["type"]);
      // Up to 24 kHz: the model's sample rate is checked against it when the model is built.
      section.min_hz = number_in(s["min_hz"], 1, 24000);
      section.max_hz = number_in(s["max_hz"], section.min_hz, 24000);
      tone.sections.push_back(section);
    }
    if (tone.sections.empty()) throw sections->error("at least one section");
    if (tone.sections.size() > 64) throw sections->error("at most 64 sections");
  }
  if (auto g = j.find("max_gain_db")) tone.max_gain_db = number_in(*g, 0, 48);
  if (auto q = j.find("min_q")) tone.min_q = number_in(*q, 0.05, 20);
  if (auto q = j.find("max_q")) tone.max_q = number_in(*q, tone.min_q, 20);
  return tone;
}
}  // namespace

void read_wavenet_config(const Json& j, ModelConfig& config) { config.wavenet = read_wavenet_body(j); }

void read_tone_stack_wavenet_config(const Json& j, ModelConfig& config) {
  j.allow_only({"pre", "tone_stack", "post", "knobs_in_post", "knob_routing"});
  ToneStackWaveNetConfig& c = config.tone_stack_wavenet;
  c.pre = read_wavenet_body(j["pre"]);
  c.tone_stack = read_tone_stack(j["tone_stack"]);
  c.post = read_wavenet_body(j["post"]);
  c.knobs_in_post = j.boolean_or("knobs_in_post", true);
  if (auto routing = j.find("knob_routing")) {
    routing->allow_only({"pre", "tone_stack", "post", "tone_stack_moves"});
    const auto names_of = [](const Json& list, const char* what) {
      if (!list.is_array()) throw list.error(what);
      std::vector<std::string> names;
      for (const Json& name : list.items()) {
        if (!name.is_string()) throw name.error("a knob name (a string)");
        names.push_back(name.string());
      }
      return names;
    };
    for (const auto& [key, names] : {std::pair{"pre", &c.knob_routing.pre}, std::pair{"post", &c.knob_routing.post}})
      if (const auto list = routing->find(key)) *names = names_of(*list, "an array of knob names");
    if (const auto list = routing->find("tone_stack")) {
      // ["bass", "treble"]: every section hears both; [["bass"], ["mid"], ["treble"]]: one list per section.
      const char* either = "an array of knob names, or of one such array per section";
      if (!list->is_array()) throw list->error(either);
      auto& sections = c.knob_routing.tone_stack.emplace();
      const std::vector<Json> items = list->items();
      if (!items.empty() && items.front().is_array()) {
        for (const Json& section : items) sections.push_back(names_of(section, "an array of knob names (one per section)"));
      } else {
        sections.push_back(names_of(*list, either));
      }
    }
    if (const auto moves = routing->find("tone_stack_moves"))
      c.knob_routing.tone_stack_moves = names_of(*moves, R"(an array of section settings ("gain", "frequency", "q"))");
  }
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
  c.allow_only({"method", "hidden", "activation", "shift", "head", "separable"});
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
  config.film.separable = c.boolean_or("separable", false);
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
      throw preset->error("one of " + preset_list());
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
