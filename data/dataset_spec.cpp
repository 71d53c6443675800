// See dataset_spec.h. Entries are read in two passes: the first collects (name, value) pairs and
// the knob names in order of appearance, the second fills in defaults and checks ranges, because
// without declarations the set of knobs is known only after the last entry.
#include "data/dataset_spec.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"

namespace namk {

namespace {

std::string knob_list(const std::vector<KnobSpec>& knobs) {
  std::string out;
  for (const auto& k : knobs) out += (out.empty() ? "" : ", ") + k.name;
  return out.empty() ? "none" : out;
}

KnobSpec parse_knob(const Json& j) {
  j.allow_only({"name", "min", "max", "default", "units"});
  KnobSpec k;
  k.name = j["name"].string();
  if (k.name.empty()) throw j["name"].error("a non-empty knob name");
  k.min = j.number_or("min", 0.0);
  k.max = j.number_or("max", 1.0);
  if (!(k.min < k.max)) throw j.error("min < max", "min " + format_number(k.min) + " and max " + format_number(k.max));
  k.default_value = j.number_or("default", 0.5 * (k.min + k.max));
  if (k.default_value < k.min || k.default_value > k.max)
    throw j["default"].error("a default within [" + format_number(k.min) + ", " + format_number(k.max) + "]");
  k.units = j.string_or("units", "");
  return k;
}

Position parse_position(const Json& j) {
  if (j.is_number()) return {double(j.integer()), false};
  if (j.is_string()) {
    const std::string s = j.string();
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (!s.empty() && end != s.c_str() && std::string(end) == "s") return {v, true};
  }
  throw j.error("a whole number of samples (e.g. 48000) or seconds as a string (e.g. \"1.5s\")");
}

std::string resolve(const std::string& dataset_file, const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  if (p.is_absolute()) return path;
  return (fs::path(dataset_file).parent_path() / p).lexically_normal().string();
}

struct RawKnob {
  std::string name;
  double value;
  Json where;
};

}  // namespace

const char* split_name(Split split) {
  switch (split) {
    case Split::train:
      return "train";
    case Split::validation:
      return "validation";
    case Split::test:
      return "test";
  }
  return "?";
}

bool looks_like_dataset(const Json& root) {
  return root.is_array() || (root.is_object() && root.has("entries"));
}

DatasetSpec parse_dataset(const Json& root, bool infer_knob_ranges, const WarningSink& warn) {
  DatasetSpec spec;
  spec.file = root.file();
  std::vector<Json> entries;
  if (root.is_array()) {
    entries = root.items();
  } else if (root.is_object()) {
    root.allow_only({"knobs", "entries"});
    entries = root["entries"].items();
    if (auto knobs = root.find("knobs")) {
      for (const auto& k : knobs->items()) {
        spec.knobs.push_back(parse_knob(k));
        for (size_t i = 0; i + 1 < spec.knobs.size(); ++i)
          if (spec.knobs[i].name == spec.knobs.back().name)
            throw k["name"].error("a knob name declared once",
                                  "\"" + spec.knobs.back().name + "\" again");
      }
      spec.knobs_declared = true;
    }
  } else {
    throw root.error("a dataset: an object with \"entries\", or a list of entries");
  }
  if (entries.empty())
    throw input_error(root.file(), root.is_array() ? "top level" : "entries", "at least one entry",
                      "an empty list");

  // Pass 1: files, split, delay, trims and the raw knob values of every entry.
  std::vector<std::vector<RawKnob>> raw(entries.size());
  std::vector<std::string> seen_names;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& e = entries[i];
    e.allow_only({"input_file", "output_file", "input_path", "output_path", "knob_type",
                  "knob_level", "knobs", "split", "delay", "start", "stop", "anchor"});
    DatasetEntry entry;
    entry.field = e.path();
    for (const char* role : {"input", "output"}) {
      const std::string file_key = std::string(role) + "_file",
                        path_key = std::string(role) + "_path";
      if (e.has(file_key) && e.has(path_key))
        throw e.error("one of \"" + file_key + "\" or \"" + path_key + "\"", "both");
      const Json f = e.has(path_key) ? e[path_key] : e[file_key];
      (role[0] == 'i' ? entry.input_file : entry.output_file) = resolve(spec.file, f.string());
    }
    if (e.has("knobs") && (e.has("knob_type") || e.has("knob_level")))
      throw e.error("either \"knobs\" or \"knob_type\" + \"knob_level\"", "both");
    if (auto knobs = e.find("knobs")) {
      for (const auto& name : knobs->keys()) {
        for (const auto& r : raw[i])
          if (r.name == name) throw knobs->error("each knob once", "\"" + name + "\" twice");
        raw[i].push_back({name, (*knobs)[name].number(), (*knobs)[name]});
      }
    } else if (e.has("knob_type") || e.has("knob_level")) {
      raw[i].push_back({e["knob_type"].string(), e["knob_level"].number(), e["knob_level"]});
    }
    for (const auto& r : raw[i])
      if (std::find(seen_names.begin(), seen_names.end(), r.name) == seen_names.end())
        seen_names.push_back(r.name);
    if (auto split = e.find("split")) {
      const std::string s = split->string();
      if (s == "train")
        entry.split = Split::train;
      else if (s == "validation")
        entry.split = Split::validation;
      else if (s == "test")
        entry.split = Split::test;
      else
        throw split->error("\"train\", \"validation\" or \"test\"");
    }
    if (auto delay = e.find("delay")) entry.delay = delay->integer();
    if (auto start = e.find("start")) entry.start = parse_position(*start);
    if (auto stop = e.find("stop")) entry.stop = parse_position(*stop);
    entry.anchor = e.boolean_or("anchor", false);
    spec.entries.push_back(std::move(entry));
  }

  if (!spec.knobs_declared) {
    for (const auto& name : seen_names) {
      KnobSpec k;
      k.name = name;
      if (infer_knob_ranges) {
        double lo = 1e300, hi = -1e300;
        for (const auto& r : raw)
          for (const auto& v : r)
            if (v.name == name) lo = std::min(lo, v.value), hi = std::max(hi, v.value);
        // One value seen: a unit-wide range around it, so normalisation stays finite.
        if (lo == hi) lo -= 0.5, hi += 0.5;
        k.min = lo, k.max = hi;
      }
      k.default_value = 0.5 * (k.min + k.max);
      spec.knobs.push_back(k);
    }
  }

  // Pass 2: one value per knob, defaults for the rest, everything inside its range.
  for (size_t i = 0; i < spec.entries.size(); ++i) {
    auto& values = spec.entries[i].knob_values;
    for (const auto& k : spec.knobs) values.push_back(k.default_value);
    for (const auto& r : raw[i]) {
      size_t index = spec.knobs.size();
      for (size_t k = 0; k < spec.knobs.size(); ++k)
        if (spec.knobs[k].name == r.name) index = k;
      if (index == spec.knobs.size())
        throw r.where.error("a declared knob (" + knob_list(spec.knobs) + ")",
                            "the knob \"" + r.name + "\"");
      const KnobSpec& k = spec.knobs[index];
      if (r.value < k.min || r.value > k.max)
        throw r.where.error(
            "a value of knob \"" + k.name + "\" within [" + format_number(k.min) + ", " + format_number(k.max) + "]" +
            (spec.knobs_declared ? ""
                                 : " (the range of an undeclared knob; declare it under \"knobs\" "
                                   "with \"min\" and \"max\", or set \"infer_knob_ranges\": true "
                                   "in the data config)"));
      values[index] = r.value;
    }
  }

  // An anchor take shares its setting with a short take on purpose: not worth a warning.
  for (size_t i = 0; i < spec.entries.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (spec.entries[i].knob_values == spec.entries[j].knob_values &&
          !spec.entries[i].anchor && !spec.entries[j].anchor) {
        std::string setting;
        for (size_t k = 0; k < spec.knobs.size(); ++k)
          setting +=
              (k ? ", " : "") + spec.knobs[k].name + "=" + format_number(spec.entries[i].knob_values[k]);
        warn(spec.file + ": " + spec.entries[i].field + " has the same knob setting as " +
             spec.entries[j].field + " (" + (setting.empty() ? "no knobs" : setting) +
             "); both are used, which weights that setting double");
        break;
      }
  return spec;
}

}  // namespace namk
