// See bench_plugin.h. The plugin is driven through its LV2 descriptor exactly as a host would,
// with the host's maximum block announced as 64 (buf-size through the options feature).
#include "apps/bench_plugin.h"

#include <dlfcn.h>
#include <lv2/core/lv2.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "apps/lv2_bundle.h"
#include "base/error.h"
#include "nn/model_file.h"
#include "plugin/lv2/host_features.h"

namespace namk::app {

namespace {

constexpr int kBlock = 64;

std::vector<float> test_input(double rate) {
  std::vector<float> x(static_cast<size_t>(rate));  // one second
  for (size_t t = 0; t < x.size(); ++t) x[t] = static_cast<float>(0.3 * std::sin(2 * M_PI * 110 * double(t) / rate));
  return x;
}

// Seconds per second of audio through the plugin at `rate`; *latency gets the latency port.
double time_plugin(const LV2_Descriptor* d, const std::string& bundle, double rate, int n_ports,
                   const std::function<double(const std::function<void()>&)>& time, int* latency) {
  int32_t max_block = kBlock;
  const lv2_host::Features features(&max_block);
  LV2_Handle h = d->instantiate(d, rate, (bundle + "/").c_str(), features.get());
  if (!h) throw Error("nam-knobs bench: the LV2 plugin would not instantiate at " + std::to_string(rate) + " Hz");
  // Controls at 0 (gains) and 5 (the bench model's knobs, range 0..10: their defaults).
  std::vector<float> controls(static_cast<size_t>(n_ports), 0.0f);
  for (int p = 5; p < n_ports; ++p) controls[static_cast<size_t>(p)] = 5.0f;
  for (int p = 2; p < n_ports; ++p) d->connect_port(h, static_cast<uint32_t>(p), &controls[static_cast<size_t>(p)]);
  std::vector<float> x = test_input(rate), y(x.size());
  if (d->activate) d->activate(h);
  const double seconds = time([&] {
    for (size_t pos = 0; pos + kBlock <= x.size(); pos += kBlock) {
      d->connect_port(h, 0, x.data() + pos);
      d->connect_port(h, 1, y.data() + pos);
      d->run(h, kBlock);
    }
  });
  *latency = static_cast<int>(controls[4]);
  if (d->deactivate) d->deactivate(h);
  d->cleanup(h);
  return seconds * rate / static_cast<double>(x.size() / kBlock * kBlock);
}

}  // namespace

PluginBench bench_plugin(const std::string& model_path, const std::function<double(const std::function<void()>&)>& time) {
  namespace fs = std::filesystem;
  LoadedModel loaded = load_model(model_path);
  PluginBench result;
  {
    Model& m = *loaded.model;
    m.prepare(kBlock);
    m.reset();
    const std::vector<float> x = test_input(m.sample_rate());
    std::vector<Scalar> in(x.begin(), x.end()), out(in.size());
    const double seconds = time([&] {
      for (size_t pos = 0; pos + kBlock <= in.size(); pos += kBlock) m.process(in.data() + pos, out.data() + pos, kBlock);
    });
    result.bare_rtf = 1.0 / (seconds * m.sample_rate() / static_cast<double>(in.size() / kBlock * kBlock));
  }
  std::string dir = (fs::temp_directory_path() / "namk-bench-XXXXXX").string();
  if (!::mkdtemp(dir.data())) throw Error("nam-knobs bench: cannot create a temporary folder in " + fs::temp_directory_path().string());
  const std::string bundle = dir + "/bench.lv2";
  void* lib = nullptr;
  try {
    write_lv2_bundle({model_path, bundle, find_plugin_library(std::nullopt), false}, loaded);
    lib = dlopen((bundle + "/namk_lv2.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) throw Error(std::string("nam-knobs bench: cannot load the LV2 plugin: ") + dlerror());
    auto entry = reinterpret_cast<const LV2_Descriptor* (*)(uint32_t)>(dlsym(lib, "lv2_descriptor"));
    const LV2_Descriptor* d = entry ? entry(0) : nullptr;
    if (!d) throw Error("nam-knobs bench: the LV2 plugin has no descriptor");
    const int n_ports = 5 + static_cast<int>(loaded.model->knobs().size());
    int latency = 0;
    result.plugin_rtf = 1.0 / time_plugin(d, bundle, 48000, n_ports, time, &latency);
    result.resampled_rtf = 1.0 / time_plugin(d, bundle, 44100, n_ports, time, &result.latency);
  } catch (...) {
    if (lib) dlclose(lib);
    std::error_code ec;
    fs::remove_all(dir, ec);
    throw;
  }
  dlclose(lib);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

}  // namespace namk::app
