// nam-knobs export: writes a model as NAM's plain .nam, which NAM's plugin and runtimes load. A
// model without knobs is re-written as it is (a NAM file from us or from NAM's trainer); a knob
// model cannot be, but a setting of its knobs can be baked into a plain model with --knob
// (knobs not named keep their defaults). With --lv2 it writes an LV2 plugin bundle instead, whose
// controls are the model's knobs (apps/lv2_bundle.h, docs/plugin.md). With --knobs-as-inputs a
// knob WaveNet becomes a NAM 0.7 WaveNet whose input channels after the audio are the knobs
// (nn/knob_inputs.h), for hosts that feed them.
#include <cmath>
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "apps/knob_automation.h"
#include "apps/lv2_bundle.h"
#include "base/error.h"
#include "base/atomic_file.h"
#include "nn/knob_inputs.h"
#include "nn/loudness.h"
#include "nn/model_file.h"

namespace namk::app {

int cmd_export(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      kModelFileOption,
      {"out", true, "the NAM .nam file to write"},
      {"knob", true, "NAME=VALUE to bake into the plain model (knob models only); repeatable"},
      {"lv2", true, "write an LV2 plugin bundle (a folder, e.g. Amp.lv2) instead of a .nam file"},
      {"knobs-as-inputs", false,
       "write the knob model as a NAM 0.7 WaveNet whose input channels 1..n are the knobs' raw values"},
      {"force", false, "with --lv2: replace an existing bundle folder"},
      {"plugin", true, "with --lv2: the plugin library to bundle (default: the one built with nam-knobs)"},
  };
  const Args args("export", argv, specs);
  const std::string path = args.require("model");
  if (auto bundle = args.get("lv2")) {
    if (args.has("out") || args.has("knob"))
      throw UsageError("nam-knobs export: --lv2 bundles the whole model with its knobs as controls; drop --out and --knob");
    if (args.has("knobs-as-inputs")) throw UsageError("nam-knobs export: --lv2 and --knobs-as-inputs are two different exports; pick one");
    LoadedModel loaded = load_model(path);
    write_lv2_bundle({path, *bundle, find_plugin_library(args.get("plugin")), args.has("force")}, loaded);
    std::printf("export: wrote %s (LV2 plugin %s, %zu knob control%s)\n", bundle->c_str(),
                lv2_plugin_uri(loaded, path).c_str(), loaded.model->knobs().size(),
                loaded.model->knobs().size() == 1 ? "" : "s");
    return 0;
  }
  if (args.has("force") || args.has("plugin")) throw UsageError("nam-knobs export: --force and --plugin go with --lv2");
  const std::string out = args.require("out");
  LoadedModel loaded = load_model(path);
  const Model& model = *loaded.model;
  if (args.has("knobs-as-inputs")) {
    if (args.has("knob"))
      throw UsageError("nam-knobs export: --knobs-as-inputs keeps the knobs as input channels; drop --knob");
    write_text_atomically(out, knob_inputs_json(model, loaded.metadata, path));
    std::string channels;
    for (size_t k = 0; k < model.knobs().size(); ++k)
      channels += (k ? ", " : "") + std::to_string(k + 1) + " " + model.knobs()[k].name;
    std::printf("export: wrote %s (NAM 0.7 WaveNet, input channel 0 the audio, %s)\n", out.c_str(),
                channels.c_str());
    return 0;
  }
  const std::vector<KnobEvent> events = parse_knob_arguments(args.all("knob"), model);
  // A file whose knobs are input channels (nn/knob_inputs.h) is a NAM file already: written as it is.
  if (model.config().architecture == "WaveNet" && model.config().wavenet.in_channels > 1 && events.empty()) {
    save_model(model, out, loaded.metadata);
    std::printf("export: wrote %s (NAM 0.7 WaveNet, its knobs as input channels)\n", out.c_str());
    return 0;
  }
  if (!model.knobs().empty() && events.empty()) {
    std::string example;
    for (const KnobSpec& k : model.knobs()) example += " --knob " + k.name + "=" + format_number(k.default_value);
    throw UsageError("nam-knobs export: " + path + " is a knob model, which NAM cannot load; bake a setting "
                     "into a plain model with --knob, e.g." + example);
  }
  std::vector<double> values;
  for (const KnobSpec& k : model.knobs()) values.push_back(k.default_value);
  for (const KnobEvent& e : events) {
    if (e.sample != 0) throw UsageError("nam-knobs export: --knob takes one value per knob (no automation)");
    values[static_cast<size_t>(e.knob)] = e.value;
  }
  const std::unique_ptr<Model> plain = model.baked(values);
  ModelMetadata metadata = loaded.metadata;
  if (!model.knobs().empty()) {
    std::string setting;
    for (size_t k = 0; k < values.size(); ++k)
      setting += (k ? ", " : "") + model.knobs()[k].name + " " + format_number(values[k]);
    metadata.name += (metadata.name.empty() ? "" : " ") + ("(" + setting + ")");
    std::printf("export: baked %s\n", setting.c_str());
    // The baked setting's own loudness (NAM's runtime normalises each exported file by its own) and gain.
    const double loudness = model_loudness(*plain);
    if (std::isfinite(loudness)) metadata.loudness = loudness;
    metadata.gain = model_gain(*plain);
  }
  save_model(*plain, out, metadata);
  std::printf("export: wrote %s (NAM %s, %lld weights)\n", out.c_str(), plain->config().architecture.c_str(),
              static_cast<long long>(plain->num_params()));
  return 0;
}

}  // namespace namk::app
