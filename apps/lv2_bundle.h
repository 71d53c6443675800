// Writes an LV2 bundle for a model (nam-knobs export --lv2): manifest.ttl, plugin.ttl, the plugin
// library (plugin/lv2, copied), the model file (copied byte for byte as model.nam) and
// plugin-uri.txt (the URI the library announces). The bundle appears complete or not at all: it is
// built in a temporary sibling folder and renamed into place.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "nn/model_file.h"

namespace namk::app {

// "Fender Twin (clean)" -> "fender-twin-clean"; "model" when nothing usable is left.
std::string lv2_slug(const std::string& text);
// A knob name as an LV2 port symbol (a C identifier: letters, digits, '_', not starting with a
// digit), unique among `taken`, to which it is added.
std::string lv2_symbol(const std::string& name, std::set<std::string>& taken);

// The plugin's name and URI: from the model's name metadata, else its file name. Stable across
// exports of the same model.
std::string lv2_plugin_name(const LoadedModel& model, const std::string& model_path);
std::string lv2_plugin_uri(const LoadedModel& model, const std::string& model_path);

// The two Turtle files. has_latency: the library reports latency on port 4 (built with resampling).
std::string lv2_manifest_ttl(const std::string& uri, const std::string& binary_name);
std::string lv2_plugin_ttl(const LoadedModel& model, const std::string& uri, const std::string& name,
                           bool has_latency);

struct Lv2BundleRequest {
  std::string model_path;  // copied as model.nam
  std::string bundle;      // the folder to create, e.g. "Twin.lv2"
  std::string library;     // the plugin library to copy
  bool force = false;      // replace an existing bundle folder
};
// The plugin library to copy into a bundle: `given` when set, else the one beside this executable
// (the build tree), else the install layout's lib/nam-knobs relative to bin/. Throws Error naming
// the places looked in.
std::string find_plugin_library(const std::optional<std::string>& given);

// Throws UsageError when the bundle exists without force, Error for an unwritable destination or a
// failed copy (naming the path); nothing is left behind on failure.
void write_lv2_bundle(const Lv2BundleRequest& request, const LoadedModel& model);

}  // namespace namk::app
