// See bench_plugin.h. The plugin is driven through its LV2 descriptor exactly as a host would,
// with the host's maximum block announced as 64 (buf-size through the options feature).
#include "apps/bench_plugin.h"

#include <dlfcn.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/urid/urid.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include "apps/lv2_bundle.h"
#include "base/error.h"
#include "nn/model_file.h"

namespace namk::app {

namespace {

constexpr int kBlock = 64;

std::vector<std::string> g_uris;
LV2_URID map_uri(LV2_URID_Map_Handle, const char* uri) {
  for (size_t i = 0; i < g_uris.size(); ++i)
    if (g_uris[i] == uri) return static_cast<LV2_URID>(i + 1);
  g_uris.emplace_back(uri);
  return static_cast<LV2_URID>(g_uris.size());
}

std::vector<float> test_input(double rate) {
  std::vector<float> x(static_cast<size_t>(rate));  // one second
  for (size_t t = 0; t < x.size(); ++t) x[t] = static_cast<float>(0.3 * std::sin(2 * M_PI * 110 * double(t) / rate));
  return x;
}

// Seconds per second of audio through the plugin at `rate`; *latency gets the latency port.
double time_plugin(const LV2_Descriptor* d, const std::string& bundle, double rate, int n_ports,
                   const std::function<double(const std::function<void()>&)>& time, int* latency) {
  int32_t max_block = kBlock;
  LV2_URID_Map map{nullptr, map_uri};
  const LV2_Feature map_feature{LV2_URID__map, &map};
  const LV2_Options_Option options[] = {
      {LV2_OPTIONS_INSTANCE, 0, map_uri(nullptr, LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t),
       map_uri(nullptr, LV2_ATOM__Int), &max_block},
      {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr}};
  const LV2_Feature options_feature{LV2_OPTIONS__options, const_cast<LV2_Options_Option*>(options)};
  const LV2_Feature* features[] = {&map_feature, &options_feature, nullptr};
  LV2_Handle h = d->instantiate(d, rate, (bundle + "/").c_str(), features);
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
