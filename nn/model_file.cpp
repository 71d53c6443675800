// See model_file.h and docs/model_format.md. Weights are written with 9 significant digits, which
// round-trips every float32 exactly, so export -> import is bit-identical.
#include "nn/model_file.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/json.h"
#include "base/text_file.h"
#include "nn/architecture.h"
#include "nn/knob_inputs.h"
#include "nn/layers/layer_array_config.h"
#include "nn/model_config.h"
#include "nn/slimmable.h"

namespace namk {

namespace {

constexpr const char* kNamVersion = "0.5.4";
// For WaveNets that need NAM 0.7's keys (per-layer kernel sizes, a head that looks back).
constexpr const char* kNam07Version = "0.7.0";
constexpr const char* kKnobVersion = "1.0.0";
constexpr const char* kKnobPrefix = "Knob";  // "KnobWaveNet": unknown to NAM's readers

std::string number(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", x);
  return text;
}

std::string boolean(bool b) { return b ? "true" : "false"; }

template <class T>
std::string int_list(const std::vector<T>& values) {
  std::string text = "[";
  for (size_t i = 0; i < values.size(); ++i) text += (i ? ", " : "") + std::to_string(values[i]);
  return text + "]";
}

std::string weight_list(const Scalar* w, Index n) {
  std::string text = "[";
  for (Index i = 0; i < n; ++i) text += (i ? ", " : "") + number(static_cast<double>(w[i]));
  return text + "]";
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return text;
}

std::string knobs_json(const ModelConfig& c) {
  std::string text = "[";
  for (size_t i = 0; i < c.knobs.size(); ++i) {
    const KnobSpec& k = c.knobs[i];
    text += std::string(i ? ", " : "") + "{\"name\": " + json_quote(k.name) + ", \"min\": " +
            number(k.min) + ", \"max\": " + number(k.max) + ", \"default\": " +
            number(k.default_value) + ", \"units\": " + json_quote(k.units) + "}";
  }
  return text + "]";
}

std::string conditioning_json(const ModelConfig& c) {
  if (c.conditioning == Conditioning::Concat) return "{\"method\": \"concat\"}";
  return "{\"method\": \"film\", \"hidden\": " + std::to_string(c.film.hidden) +
         ", \"activation\": " + json_quote(activation_name(c.film.activation)) +
         ", \"shift\": " + boolean(c.film.shift) + ", \"head\": " + boolean(c.film.head) +
         (c.film.separable ? ", \"separable\": true}" : "}");  // absent when false: files stay as before
}

// ---- reading ----

// Every weight must be a finite float32: 1e300 parses as a double but is inf in the model, and
// would render NaN.
std::vector<double> read_weights(const Json& j) {
  std::vector<double> w;
  for (const Json& x : j.items()) {
    const double v = x.number();
    if (!(std::abs(v) <= FLT_MAX)) throw x.error("a finite number (within float32's range)");
    w.push_back(v);
  }
  return w;
}

// See ModelMetadata: every key kept as JSON text, the typed ones also read into their fields. A
// file without a date keeps that (a null date), so writing it again does not stamp one.
}  // namespace

ModelMetadata metadata_from_json(const std::optional<Json>& block) {
  ModelMetadata md;
  const std::pair<const char*, std::string*> texts[] = {
      {"name", &md.name},           {"modeled_by", &md.modeled_by}, {"gear_type", &md.gear_type},
      {"gear_make", &md.gear_make}, {"gear_model", &md.gear_model}, {"tone_type", &md.tone_type},
      {"date", &md.date}};
  const std::pair<const char*, std::optional<double>*> numbers[] = {
      {"input_level_dbu", &md.input_level_dbu}, {"output_level_dbu", &md.output_level_dbu},
      {"loudness", &md.loudness}, {"gain", &md.gain}};
  const bool object = block && block->is_object();
  for (const std::string& key : object ? block->keys() : std::vector<std::string>{}) {
    const Json v = (*block)[key];
    md.kept.emplace_back(key, v.text());
    for (const auto& [name, field] : texts)
      if (key == name && v.is_string()) *field = v.string();
    for (const auto& [name, field] : numbers)
      if (key == name && v.is_number()) *field = v.number();
    if (key == "training" && v.is_object()) {
      for (const std::string& tk : v.keys()) {
        md.training_kept.emplace_back(tk, v[tk].text());
        if (tk == "validation_esr" && v[tk].is_number()) md.validation_esr = v[tk].number();
      }
    }
  }
  if (!object || !block->has("date")) md.kept.emplace_back("date", "null");
  return md;
}

namespace {

using JsonFields = std::vector<std::pair<std::string, std::string>>;

// A key of the metadata block: its field's value when set, else (when the file lacks the key)
// `fallback`, which nullopt leaves out.
struct KnownField {
  const char* key;
  std::optional<std::string> value, fallback;
};

// The kept keys in file order, each replaced by its field's value when set; then the known keys
// the file lacked, in their order.
std::string object_json(const std::vector<KnownField>& known, const JsonFields& kept) {
  std::string s;
  std::vector<std::string> written;
  const auto add = [&](const std::string& key, const std::string& value) {
    s += (s.empty() ? "" : ", ") + json_quote(key) + ": " + value;
    written.push_back(key);
  };
  const auto field = [&](const std::string& key) {
    const auto f = std::find_if(known.begin(), known.end(), [&](const KnownField& k) { return key == k.key; });
    return f == known.end() ? nullptr : &*f;
  };
  for (const auto& [key, text] : kept) {
    const KnownField* f = field(key);
    add(key, f && f->value ? *f->value : text);
  }
  for (const KnownField& f : known) {
    if (std::find(written.begin(), written.end(), f.key) != written.end()) continue;
    if (f.value)
      add(f.key, *f.value);
    else if (f.fallback)
      add(f.key, *f.fallback);
  }
  return "{" + s + "}";
}

}  // namespace

std::string metadata_to_json(const ModelMetadata& md) {
  const auto text = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional(json_quote(s)); };
  const auto num = [](const std::optional<double>& x) { return x ? std::optional(json_number(*x)) : std::nullopt; };
  const std::string empty = "\"\"", null = "null";
  const std::string training = object_json({{"validation_esr", num(md.validation_esr), null}}, md.training_kept);
  return object_json({{"date", text(md.date), json_quote(now_iso())},
                      {"name", text(md.name), empty},
                      {"modeled_by", text(md.modeled_by), empty},
                      {"gear_type", text(md.gear_type), empty},
                      {"gear_make", text(md.gear_make), empty},
                      {"gear_model", text(md.gear_model), empty},
                      {"tone_type", text(md.tone_type), empty},
                      // Unknown numbers are left out, never written as null: NAM's runtime reads
                      // a present "loudness" (and the levels) as a number and refuses the file
                      // when it is null.
                      {"input_level_dbu", num(md.input_level_dbu), std::nullopt},
                      {"output_level_dbu", num(md.output_level_dbu), std::nullopt},
                      {"loudness", num(md.loudness), std::nullopt},
                      {"gain", num(md.gain), std::nullopt},
                      {"training", md.validation_esr || !md.training_kept.empty() ? std::optional(training) : std::nullopt,
                       training}},
                     md.kept);
}

namespace {

// "0.5.4" -> {0, 5, 4}; anything else -> nullopt.
std::optional<std::array<int, 3>> parse_version(const std::string& v) {
  std::array<int, 3> parts{};
  char tail = 0;
  if (std::sscanf(v.c_str(), "%d.%d.%d%c", &parts[0], &parts[1], &parts[2], &tail) != 3)
    return std::nullopt;
  return parts;
}

// The metadata keys ModelMetadata has fields for.
constexpr const char* kTypedKeys[] = {"date",     "name", "modeled_by", "gear_type", "gear_make",
                                      "gear_model", "tone_type", "input_level_dbu", "output_level_dbu",
                                      "loudness", "gain", "training"};
}  // namespace

std::vector<std::pair<std::string, std::string>> metadata_extras(const ModelMetadata& md) {
  std::vector<std::pair<std::string, std::string>> extras;
  for (const auto& [key, text] : md.kept)
    if (std::find(std::begin(kTypedKeys), std::end(kTypedKeys), key) == std::end(kTypedKeys)) extras.emplace_back(key, text);
  for (const auto& [key, text] : md.training_kept)
    if (key != "validation_esr") extras.emplace_back("training." + key, text);
  return extras;
}

std::string metadata_date(const ModelMetadata& md) {
  if (!md.date.empty()) return md.date;
  const auto kept = std::find_if(md.kept.begin(), md.kept.end(), [](const auto& f) { return f.first == "date"; });
  if (kept == md.kept.end()) return "";
  // NAM's trainer writes {"year": 2026, "month": 5, "day": 4, "hour": 18, "minute": 53, "second": 53}.
  const Json d = Json::parse_string(kept->second, "metadata.date");
  if (!d.is_object()) return "";
  const auto part = [&](const char* key) { return static_cast<int>(d.integer_or(key, 0)); };
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d", part("year"), part("month"), part("day"),
                part("hour"), part("minute"), part("second"));
  return text;
}

// NAM's "config" object of each architecture (see architecture.h).
namespace {
std::string write_wavenet_body(const WaveNetConfig& w) {
  std::string s = "{\"layers\": [";
  for (size_t i = 0; i < w.layers.size(); ++i) s += (i ? ", " : "") + write_layer_array_config(w.layers[i]);
  s += "], \"head\": null, \"head_scale\": " + number(w.head_scale);
  if (w.in_channels != 1) s += ", \"in_channels\": " + std::to_string(w.in_channels);
  if (const auto& dsp = w.condition_dsp) {
    std::vector<Scalar> weights = dsp->weights;
    weights.push_back(static_cast<Scalar>(dsp->config->head_scale));
    s += ", \"condition_dsp\": {\"version\": " + json_quote(dsp->version) +
         ", \"architecture\": \"WaveNet\", \"config\": " + write_wavenet_body(*dsp->config) +
         ", \"weights\": " + weight_list(weights.data(), static_cast<Index>(weights.size())) +
         ", \"sample_rate\": " + number(dsp->sample_rate) + "}";
  }
  return s + "}";
}

const char* tone_section_type(BiquadKind kind) {
  switch (kind) {
    case BiquadKind::LowShelf: return "low_shelf";
    case BiquadKind::HighShelf: return "high_shelf";
    default: return "peak";  // the only other kind the reader accepts
  }
}

std::string write_tone_stack(const ToneStackConfig& tone) {
  std::ostringstream s;
  s << "{\"sections\": [";
  for (size_t i = 0; i < tone.sections.size(); ++i)
    s << (i ? ", " : "") << "{\"type\": " << json_quote(tone_section_type(tone.sections[i].kind))
      << ", \"min_hz\": " << number(tone.sections[i].min_hz) << ", \"max_hz\": " << number(tone.sections[i].max_hz)
      << "}";
  s << "], \"max_gain_db\": " << number(tone.max_gain_db) << ", \"min_q\": " << number(tone.min_q)
    << ", \"max_q\": " << number(tone.max_q) << "}";
  return s.str();
}
}  // namespace

std::string write_wavenet_config(const ModelConfig& c) { return write_wavenet_body(c.wavenet); }

namespace {
// ", \"knob_routing\": {...}" with the parts that are set, or nothing (files without it stay as they were).
std::string write_knob_routing(const ToneStackWaveNetConfig::KnobRouting& r) {
  if (!r.any()) return "";
  const auto list = [](const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + json_quote(n);
    return "[" + out + "]";
  };
  std::string out;
  const auto add = [&](const char* key, const std::string& value) {
    out += std::string(out.empty() ? "" : ", ") + "\"" + key + "\": " + value;
  };
  if (r.pre) add("pre", list(*r.pre));
  if (r.tone_stack && r.tone_stack->size() == 1) {
    add("tone_stack", list(r.tone_stack->front()));  // flat, as it was read: every section hears it
  } else if (r.tone_stack) {
    std::string sections;  // one list per section
    for (const auto& names : *r.tone_stack) sections += (sections.empty() ? "" : ", ") + list(names);
    add("tone_stack", "[" + sections + "]");
  }
  if (r.post) add("post", list(*r.post));
  if (r.tone_stack_moves) add("tone_stack_moves", list(*r.tone_stack_moves));
  return ", \"knob_routing\": {" + out + "}";
}
}  // namespace

std::string write_tone_stack_wavenet_config(const ModelConfig& c) {
  const ToneStackWaveNetConfig& t = c.tone_stack_wavenet;
  return "{\"pre\": " + write_wavenet_body(t.pre) + ", \"tone_stack\": " + write_tone_stack(t.tone_stack) +
         ", \"post\": " + write_wavenet_body(t.post) +
         ", \"knobs_in_post\": " + (t.knobs_in_post ? "true" : "false") + write_knob_routing(t.knob_routing) + "}";
}

std::string write_lstm_config(const ModelConfig& c) {
  std::ostringstream s;
  s << "{\"input_size\": " << c.lstm.input_size << ", \"hidden_size\": " << c.lstm.hidden_size
    << ", \"num_layers\": " << c.lstm.num_layers << "}";
  return s.str();
}

std::string write_convnet_config(const ModelConfig& c) {
  std::ostringstream s;
  s << "{\"channels\": " << c.convnet.channels << ", \"dilations\": " << int_list(c.convnet.dilations)
    << ", \"batchnorm\": " << boolean(c.convnet.batchnorm)
    << ", \"activation\": " << json_quote(activation_name(c.convnet.activation)) << "}";
  return s.str();
}

std::string write_linear_config(const ModelConfig& c) {
  std::ostringstream s;
  s << "{\"receptive_field\": " << c.linear.receptive_field << ", \"bias\": " << boolean(c.linear.bias)
    << "}";
  return s.str();
}


std::string model_to_json(const Model& model, const ModelMetadata& md) {
  const ModelConfig& c = model.config();
  const Architecture* arch = find_architecture(c.architecture);
  if (!arch) throw UsageError("model file: no file form for architecture '" + c.architecture + "'");
  // Knobs as input channels: a plain NAM WaveNet listing them in its metadata (nn/knob_inputs.h).
  if (c.architecture == "WaveNet" && c.wavenet.in_channels > 1)
    return nam_wavenet_json(c, std::span<const Scalar>(model.params().data(), static_cast<size_t>(model.architecture_params())),
                            knob_inputs_metadata(md, c.knobs));
  // A nam-knobs file (knobs, or an architecture NAM does not have) or a NAM file.
  const bool knobs = !c.knobs.empty() || !arch->nam;
  std::ostringstream s;
  const bool nam_05 = std::all_of(c.wavenet.layers.begin(), c.wavenet.layers.end(),
                                  [](const LayerArrayConfig& l) { return l.fits_nam_05(); }) &&
                      !c.wavenet.condition_dsp;
  s << "{\n  \"version\": " << json_quote(knobs ? kKnobVersion : nam_05 ? kNamVersion : kNam07Version) << ",\n";
  s << "  \"metadata\": " << metadata_to_json(md) << ",\n";
  s << "  \"architecture\": " << json_quote((knobs ? kKnobPrefix : "") + c.architecture) << ",\n";
  s << "  \"config\": " << arch->write_config(c) << ",\n";
  if (knobs) {
    s << "  \"knobs\": " << knobs_json(c) << ",\n";
    s << "  \"conditioning\": " << conditioning_json(c) << ",\n";
    s << "  \"smoothing_ms\": " << number(c.smoothing_ms) << ",\n";
  }
  // NAM's weights: the architecture's parameters, then (WaveNet) head_scale, which NAM stores last.
  // A copy only where the file's order differs from the buffer's.
  const Scalar* arch_weights = model.params().data();
  std::vector<Scalar> swapped;
  if (arch->swap_file_order) {
    swapped.assign(arch_weights, arch_weights + model.architecture_params());
    arch->swap_file_order(model.param_layout(), swapped);
    arch_weights = swapped.data();
  }
  std::string weights = weight_list(arch_weights, model.architecture_params());
  if (arch->head_scale_in_weights)
    weights.insert(weights.size() - 1, std::string(model.architecture_params() ? ", " : "") +
                                           number(c.wavenet.head_scale));
  s << "  \"weights\": " << weights << ",\n";
  if (knobs)
    s << "  \"conditioning_weights\": "
      << weight_list(model.params().data() + model.architecture_params(),
                     model.num_params() - model.architecture_params())
      << ",\n";
  s << "  \"sample_rate\": " << number(c.sample_rate) << "\n}\n";
  return s.str();
}

std::string nam_wavenet_json(const ModelConfig& c, std::span<const Scalar> weights, const ModelMetadata& md) {
  // head_scale as the config holds it (as model_to_json writes it), so the file reads back the same.
  std::string list = weight_list(weights.data(), static_cast<Index>(weights.size()));
  list.insert(list.size() - 1, std::string(weights.empty() ? "" : ", ") + number(c.wavenet.head_scale));
  return "{\n  \"version\": " + json_quote(kNam07Version) + ",\n  \"metadata\": " + metadata_to_json(md) +
         ",\n  \"architecture\": \"WaveNet\",\n  \"config\": " + write_wavenet_body(c.wavenet) +
         ",\n  \"weights\": " + list +
         ",\n  \"sample_rate\": " + number(c.sample_rate) + "\n}\n";
}

void save_model(const Model& model, const std::string& path, const ModelMetadata& metadata) {
  if (!model.params().allFinite())
    throw UsageError("save_model: refusing to write non-finite weights to " + path);
  write_text_atomically(path, model_to_json(model, metadata));
}

namespace {

LoadedModel model_from_node(const Json& root, const std::string& name, std::optional<double> slim);

// NAM 0.7's SlimmableContainer: submodels with ascending max_value, the last at least 1. A slim
// value v picks the first submodel with v < max_value (the last when none); without one, the last
// (the full-size model). The submodel is loaded as a model of its own.
LoadedModel container_from_node(const Json& root, const std::string& name, std::optional<double> slim) {
  const Json config = root["config"];
  config.allow_only({"submodels"});
  if (!root["weights"].items().empty()) throw root["weights"].error("an empty list (a container has no weights)");
  const std::vector<Json> submodels = config["submodels"].items();
  if (submodels.empty()) throw config["submodels"].error("at least one submodel");
  std::vector<double> max_values;
  for (const Json& sub : submodels) {
    sub.allow_only({"max_value", "model"});
    const double v = sub["max_value"].number();
    if (!max_values.empty() && !(v > max_values.back()))
      throw sub["max_value"].error("a number above the previous submodel's max_value");
    max_values.push_back(v);
  }
  if (!(max_values.back() >= 1))
    throw submodels.back()["max_value"].error("at least 1 for the last submodel (it serves slim values up to 1)");
  const size_t chosen = slim ? slim_size_index(max_values, *slim) : submodels.size() - 1;
  LoadedModel loaded = model_from_node(submodels[chosen]["model"], name, std::nullopt);
  loaded.version = root["version"].string();
  loaded.slim_max_values = max_values;
  loaded.slim_choice = chosen;
  // The container's metadata describes the whole capture (A2.nam: the full model's loudness).
  loaded.metadata = metadata_from_json(root.find("metadata"));
  return loaded;
}

LoadedModel model_from_node(const Json& root, const std::string& name, std::optional<double> slim) {
  if (!root.is_object()) throw root.error("a model file (a JSON object)");
  LoadedModel loaded;
  loaded.version = root["version"].string();
  const auto version = parse_version(loaded.version);
  std::string architecture = root["architecture"].string();
  const bool knob_file = architecture.rfind(kKnobPrefix, 0) == 0;
  if (knob_file) {
    architecture = architecture.substr(std::char_traits<char>::length(kKnobPrefix));
    if (!version || (*version)[0] != 1)
      throw root["version"].error("a nam-knobs model version 1.x", "\"" + loaded.version + "\"");
  } else if (!version || (*version)[0] != 0 || (*version)[1] < 5 || (*version)[1] > 7) {
    throw root["version"].error("a NAM file version 0.5.x, 0.6.x or 0.7.x", "\"" + loaded.version + "\"");
  }
  if (!knob_file && architecture == "SlimmableContainer") return container_from_node(root, name, slim);
  const Architecture* arch = find_architecture(architecture);
  if (!arch || (!knob_file && !arch->nam))
    throw root["architecture"].error("one of " + architecture_names(), "\"" + root["architecture"].string() + "\"");

  ModelConfig config;
  read_nam_architecture(architecture, root["config"], config);
  if (!knob_file && architecture == "WaveNet" && config.wavenet.in_channels > 1) {
    config.knobs = read_knob_inputs(root.find("metadata"), config.wavenet.in_channels, name);
    config.conditioning = Conditioning::Concat;
  }
  if (knob_file && config.wavenet.in_channels > 1)
    throw root["config"]["in_channels"].error("1 in a nam-knobs knob file (its knobs are declared under \"knobs\")");
  if (knob_file) {
    config.knobs = read_knobs(root["knobs"]);
    read_conditioning(root["conditioning"], config);
    if (auto ms = root.find("smoothing_ms")) config.smoothing_ms = read_smoothing_ms(*ms);
  }
  // Files from before NAM wrote sample_rate are 48 kHz.
  if (auto rate = root.find("sample_rate")) config.sample_rate = read_sample_rate(*rate);
  std::vector<double> weights = read_weights(root["weights"]);
  const bool head_scale = arch->head_scale_in_weights;
  if (head_scale) {
    if (weights.empty()) throw root["weights"].error("the weights followed by head_scale", "an empty list");
    config.wavenet.head_scale = weights.back();  // NAM's runtimes read head_scale from here
    weights.pop_back();
  }
  std::vector<double> cw;
  if (knob_file) cw = read_weights(root["conditioning_weights"]);
  // The counts the config implies are checked against the lists in the file before the model's
  // buffer exists: a small file declaring 30000 channels is refused without allocating.
  const auto check_counts = [&](Index arch_params, Index total) {
    if (static_cast<Index>(weights.size()) != arch_params)
      throw root["weights"].error(std::to_string(arch_params + head_scale) + " weights for this config",
                                  std::to_string(weights.size() + head_scale));
    if (knob_file && static_cast<Index>(cw.size()) != total - arch_params)
      throw root["conditioning_weights"].error(std::to_string(total - arch_params) + " numbers",
                                               std::to_string(cw.size()));
  };
  try {
    loaded.model = make_model(config, check_counts);
  } catch (const UsageError& e) {
    throw root["config"].error("an architecture this runtime implements", e.what());
  } catch (const InputError& e) {
    // The architecture's own checks say "model config": name this file instead.
    const std::string what = e.what();
    if (what.rfind("model config: ", 0) == 0) throw InputError(name + ": " + what.substr(14));
    throw;
  }
  Model& m = *loaded.model;
  for (size_t i = 0; i < weights.size(); ++i) m.params()[static_cast<Index>(i)] = static_cast<Scalar>(weights[i]);
  if (arch->swap_file_order)
    arch->swap_file_order(m.param_layout(), std::span<Scalar>(m.params().data(), static_cast<size_t>(m.architecture_params())));
  if (knob_file) {
    for (size_t i = 0; i < cw.size(); ++i)
      m.params()[m.architecture_params() + static_cast<Index>(i)] = static_cast<Scalar>(cw[i]);
  }
  loaded.metadata = metadata_from_json(root.find("metadata"));
  if (is_slimmable(config)) {
    loaded.slim_max_values = slim_breakpoints(config);
    loaded.slim_choice = slim_size_index(loaded.slim_max_values, slim.value_or(1.0));
    if (slim) loaded.model = slim_wavenet(*loaded.model, *slim);
  }
  return loaded;
}

}  // namespace

LoadedModel model_from_json(const std::string& text, const std::string& name, std::optional<double> slim) {
  return model_from_node(Json::parse_string(text, name), name, slim);
}

LoadedModel load_model(const std::string& path, std::optional<double> slim) {
  return model_from_json(read_text_file(path, "a model file"), path, slim);
}

}  // namespace namk
