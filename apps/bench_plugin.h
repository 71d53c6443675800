// nam-knobs bench's plugin section: the LV2 plugin's run() as a host calls it (the bundle exported
// to a temporary folder, the library dlopen'd, blocks of 64), against the bare model's process().
#pragma once

#include <functional>
#include <string>

namespace namk::app {

struct PluginBench {
  double bare_rtf = 0;       // Model::process, blocks of 64 at the model's 48 kHz
  double plugin_rtf = 0;     // the plugin's run() at 48 kHz
  double resampled_rtf = 0;  // the plugin's run() at 44.1 kHz (resampling around the model)
  int latency = 0;           // the plugin's latency port at 44.1 kHz
};

// model_path: a 48 kHz model file. time(fn): median seconds per call of fn. Throws Error when the
// plugin library is missing or will not load.
PluginBench bench_plugin(const std::string& model_path, const std::function<double(const std::function<void()>&)>& time);

}  // namespace namk::app
