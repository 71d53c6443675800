// A small LV2 host on lilv that loads the exported bundles the way a DAW does: discovery through
// LV2_PATH (set by CTest to the bundles tests/plugin/lv2_test.sh exported), every port checked
// against the model's knob spec, instantiation at 44.1, 48 and 96 kHz, odd and changing block
// sizes (some above the host's announced maximum) with knob moves between run() calls compared
// with the runtime driven as `nam-knobs render` drives it, no heap allocation inside run(), no
// zipper noise on a knob or gain jump, and finite output for non-finite input.
#include <doctest/doctest.h>
#include <lilv/lilv.h>
#include <lv2/worker/worker.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "nn/alloc_counter.h"
#include "nn/namk.h"
#include "plugin/lv2/host_features.h"

namespace {

const char* kKnobUri = "urn:nam-knobs:model:c-api-test-knob-wavenet";
const char* kSmoothedUri = "urn:nam-knobs:model:c-api-test-knob-wavenet-smoothed";
const char* kPlainUri = "urn:nam-knobs:model:test-model";
const char* kSlimUri = "urn:nam-knobs:model:slimmable-container";
const std::string kFixtures = NAMK_FIXTURES_DIR;

struct World {
  LilvWorld* world = lilv_world_new();
  World() { lilv_world_load_all(world); }
  ~World() { lilv_world_free(world); }
  const LilvPlugin* plugin(const char* uri) const {
    LilvNode* node = lilv_new_uri(world, uri);
    const LilvPlugin* p = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), node);
    lilv_node_free(node);
    REQUIRE_MESSAGE(p, "plugin not found through LV2_PATH: ", uri);
    return p;
  }
};

World& world() {
  static World w;
  return w;
}

// The LV2 worker as a host runs it on a thread of its own: run() only queues a request (into slots
// made beforehand, so it allocates nothing); after each run() the host does the work, and hands
// the responses back before the next run().
struct Worker {
  struct Message {
    uint32_t size = 0;
    std::array<char, 256> data{};
  };
  std::array<Message, 8> requests, responses;
  size_t n_requests = 0, n_responses = 0;
  LV2_Worker_Schedule schedule{this, &Worker::queue_request};
  LV2_Feature feature{LV2_WORKER__schedule, &schedule};

  static LV2_Worker_Status queue(std::array<Message, 8>& slots, size_t& n, uint32_t size, const void* data) {
    if (n == slots.size() || size > slots[n].data.size()) return LV2_WORKER_ERR_NO_SPACE;
    slots[n].size = size;
    std::memcpy(slots[n].data.data(), data, size);
    ++n;
    return LV2_WORKER_SUCCESS;
  }
  static LV2_Worker_Status queue_request(LV2_Worker_Schedule_Handle h, uint32_t size, const void* data) {
    auto* w = static_cast<Worker*>(h);
    return queue(w->requests, w->n_requests, size, data);
  }
  static LV2_Worker_Status queue_response(LV2_Worker_Respond_Handle h, uint32_t size, const void* data) {
    auto* w = static_cast<Worker*>(h);
    return queue(w->responses, w->n_responses, size, data);
  }
  void between_runs(LilvInstance* instance) {
    const auto* plugin = static_cast<const LV2_Worker_Interface*>(lilv_instance_get_extension_data(instance, LV2_WORKER__interface));
    if (!plugin) return;
    LV2_Handle handle = lilv_instance_get_handle(instance);
    for (size_t i = 0; i < n_requests; ++i) plugin->work(handle, queue_response, this, requests[i].size, requests[i].data.data());
    n_requests = 0;
    for (size_t i = 0; i < n_responses; ++i) plugin->work_response(handle, responses[i].size, responses[i].data.data());
    n_responses = 0;
  }
};

// One plugin instance with its ports connected to host-owned values, as a DAW holds them.
struct Host {
  Worker worker;
  bool with_worker;
  LilvInstance* instance = nullptr;
  std::map<std::string, float> controls;  // by symbol; the latency port is written by the plugin
  std::map<std::string, uint32_t> index;
  std::vector<float> in, out;
  int32_t max_block;

  Host(const char* uri, double rate, int32_t host_max_block, bool worker_feature = true)
      : with_worker(worker_feature), max_block(host_max_block) {
    const LilvPlugin* p = world().plugin(uri);
    const namk::lv2_host::Features features(&max_block, with_worker ? &worker.feature : nullptr);
    instance = lilv_plugin_instantiate(p, rate, features.get());
    REQUIRE(instance);
    // Every control starts at its default, as hosts do.
    const uint32_t n = lilv_plugin_get_num_ports(p);
    std::vector<float> defaults(n);
    lilv_plugin_get_port_ranges_float(p, nullptr, nullptr, defaults.data());
    for (uint32_t i = 0; i < n; ++i) {
      const std::string symbol = lilv_node_as_string(lilv_port_get_symbol(p, lilv_plugin_get_port_by_index(p, i)));
      index[symbol] = i;
      controls[symbol] = std::isnan(defaults[i]) ? 0.0f : defaults[i];
    }
    for (auto& [symbol, i] : index)
      if (symbol != "in" && symbol != "out") lilv_instance_connect_port(instance, i, &controls[symbol]);
    lilv_instance_activate(instance);
  }
  ~Host() {
    lilv_instance_deactivate(instance);
    lilv_instance_free(instance);
  }
  // Runs x through in blocks of the given sizes (cycled), applying moves before the block that
  // starts at their sample. The input buffer is the output buffer when in_place. Heap allocations
  // made inside run() calls (and nowhere else) are added to *allocations when given.
  std::vector<float> run(const std::vector<float>& x, const std::vector<int>& blocks,
                         const std::multimap<long, std::pair<std::string, float>>& moves = {}, bool in_place = false,
                         long* allocations = nullptr) {
    in.assign(x.begin(), x.end());
    out.assign(x.size(), 0.0f);
    size_t b = 0;
    for (long pos = 0; pos < static_cast<long>(x.size()); ++b) {
      for (auto it = moves.lower_bound(pos); it != moves.end() && it->first == pos; ++it)
        controls[it->second.first] = it->second.second;
      const long len = std::min<long>(blocks[b % blocks.size()], static_cast<long>(x.size()) - pos);
      float* src = in.data() + pos;
      float* dst = in_place ? src : out.data() + pos;
      lilv_instance_connect_port(instance, index["in"], src);
      lilv_instance_connect_port(instance, index["out"], dst);
      if (allocations) {
        namk::test::CountAllocations count;
        lilv_instance_run(instance, static_cast<uint32_t>(len));
        *allocations += count.count();
      } else {
        lilv_instance_run(instance, static_cast<uint32_t>(len));
      }
      worker.between_runs(instance);
      pos += len;
    }
    return in_place ? in : out;
  }
};

std::vector<float> test_signal(double rate, double seconds) {
  std::vector<float> x(static_cast<size_t>(rate * seconds));
  for (size_t t = 0; t < x.size(); ++t) {
    const double s = static_cast<double>(t) / rate;
    x[t] = static_cast<float>(0.4 * std::sin(2 * M_PI * 196 * s) * std::exp(-2.0 * std::fmod(s, 0.5)) +
                              0.1 * std::sin(2 * M_PI * 587 * s));
  }
  return x;
}

// The runtime driven as `nam-knobs render` drives it: knob values at sample 0 set before prepare,
// later moves applied at their sample, blocks of 64, through the C API.
std::vector<float> reference(const std::string& model_file, double rate, const std::vector<float>& x,
                             const std::map<std::string, float>& start,
                             const std::multimap<long, std::pair<std::string, float>>& moves) {
  namk_model* m = nullptr;
  REQUIRE(namk_load_file(model_file.c_str(), &m) == NAMK_OK);
  for (auto& [name, v] : start) namk_set_knob(m, name.c_str(), v);
  REQUIRE(namk_prepare(m, rate, 64) == NAMK_OK);
  std::vector<float> y(x.size());
  for (long pos = 0; pos < static_cast<long>(x.size());) {
    for (auto it = moves.lower_bound(pos); it != moves.end() && it->first == pos; ++it)
      namk_set_knob(m, it->second.first.c_str(), it->second.second);
    long len = std::min<long>(64, static_cast<long>(x.size()) - pos);
    const auto next = moves.upper_bound(pos);
    if (next != moves.end()) len = std::min(len, next->first - pos);
    namk_process(m, x.data() + pos, y.data() + pos, static_cast<int>(len));
    pos += len;
  }
  namk_free(m);
  return y;
}

double max_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
  return d;
}

double largest_step(const std::vector<float>& y, size_t from, size_t to) {
  double s = 0;
  for (size_t i = from + 1; i < to; ++i) s = std::max(s, std::fabs(double(y[i]) - y[i - 1]));
  return s;
}

std::string node_string(const LilvNode* n) { return n ? lilv_node_as_string(n) : ""; }

// model_file at slim value `slim` as the C API runs it from a fresh history, blocks of 64.
std::vector<float> slim_reference(const std::string& model_file, double slim, const float* x, size_t n) {
  namk_model* m = nullptr;
  REQUIRE(namk_load_file(model_file.c_str(), &m) == NAMK_OK);
  REQUIRE(namk_set_slim(m, slim) == NAMK_OK);
  REQUIRE(namk_prepare(m, 48000, 64) == NAMK_OK);
  std::vector<float> y(n);
  for (size_t pos = 0; pos < n; pos += 64)
    namk_process(m, x + pos, y.data() + pos, static_cast<int>(std::min<size_t>(64, n - pos)));
  namk_free(m);
  return y;
}

}  // namespace

TEST_CASE("ports: names, symbols, ranges, defaults and units come from the model's knob spec") {
  LilvWorld* w = world().world;
  LilvNode* units_unit = lilv_new_uri(w, "http://lv2plug.in/ns/extensions/units#unit");
  LilvNode* rdfs_label = lilv_new_uri(w, "http://www.w3.org/2000/01/rdf-schema#label");
  LilvNode* reports_latency = lilv_new_uri(w, "http://lv2plug.in/ns/lv2core#reportsLatency");
  LilvNode* hard_rt = lilv_new_uri(w, "http://lv2plug.in/ns/lv2core#hardRTCapable");
  LilvNode* output_port = lilv_new_uri(w, LILV_URI_OUTPUT_PORT);
  struct Case {
    const char* uri;
    std::string file;
  };
  for (const Case& c : {Case{kKnobUri, kFixtures + "/c_api/knob_wavenet.nam"}, Case{kPlainUri, kFixtures + "/nam/wavenet.nam"}}) {
    CAPTURE(c.uri);
    const LilvPlugin* p = world().plugin(c.uri);
    CHECK(lilv_plugin_has_feature(p, hard_rt));
    namk_model* m = nullptr;
    REQUIRE(namk_load_file(c.file.c_str(), &m) == NAMK_OK);
    const int first_knob = namk_can_resample() ? 5 : 4;
    REQUIRE(lilv_plugin_get_num_ports(p) == static_cast<uint32_t>(first_knob + namk_knob_count(m)));
    auto port = [&](uint32_t i) { return lilv_plugin_get_port_by_index(p, i); };
    auto symbol = [&](uint32_t i) { return node_string(lilv_port_get_symbol(p, port(i))); };
    CHECK(symbol(0) == "in");
    CHECK(symbol(1) == "out");
    CHECK(symbol(2) == "input_gain_db");
    CHECK(symbol(3) == "output_gain_db");
    if (namk_can_resample()) {
      CHECK(symbol(4) == "latency");
      CHECK(lilv_port_has_property(p, port(4), reports_latency));
      CHECK(lilv_port_is_a(p, port(4), output_port));
    }
    for (int k = 0; k < namk_knob_count(m); ++k) {
      namk_knob_info info;
      REQUIRE(namk_get_knob_info(m, k, &info) == NAMK_OK);
      const LilvPort* pp = port(static_cast<uint32_t>(first_knob + k));
      CAPTURE(info.name);
      CHECK(symbol(static_cast<uint32_t>(first_knob + k)) == info.name);  // "gain", "bass": already identifiers
      LilvNode* name = lilv_port_get_name(p, pp);
      CHECK(node_string(name) == info.name);
      lilv_node_free(name);
      LilvNode *def = nullptr, *lo = nullptr, *hi = nullptr;
      lilv_port_get_range(p, pp, &def, &lo, &hi);
      CHECK(lilv_node_as_float(def) == doctest::Approx(info.default_value));
      CHECK(lilv_node_as_float(lo) == doctest::Approx(info.min));
      CHECK(lilv_node_as_float(hi) == doctest::Approx(info.max));
      lilv_node_free(def);
      lilv_node_free(lo);
      lilv_node_free(hi);
      LilvNodes* units = lilv_port_get_value(p, pp, units_unit);
      REQUIRE(lilv_nodes_size(units) == 1);
      const LilvNode* unit = lilv_nodes_get_first(units);
      if (std::string(info.units) == "dB") {
        CHECK(node_string(unit) == "http://lv2plug.in/ns/extensions/units#db");
      } else {  // a unit of its own, labelled with the model's words
        LilvNodes* label = lilv_world_find_nodes(w, unit, rdfs_label, nullptr);
        REQUIRE(lilv_nodes_size(label) == 1);
        CHECK(node_string(lilv_nodes_get_first(label)) == info.units);
        lilv_nodes_free(label);
      }
      lilv_nodes_free(units);
    }
    namk_free(m);
  }
  lilv_node_free(units_unit);
  lilv_node_free(rdfs_label);
  lilv_node_free(reports_latency);
  lilv_node_free(hard_rt);
  lilv_node_free(output_port);
}

TEST_CASE("run: odd and changing blocks with knob moves equal the runtime driven as render drives it") {
  const std::string file = kFixtures + "/c_api/knob_wavenet.nam";
  for (double rate : {48000.0, 44100.0, 96000.0}) {
    if (rate != 48000.0 && !namk_can_resample()) continue;
    CAPTURE(rate);
    const std::vector<float> x = test_signal(rate, 0.6);
    // Moves at block boundaries: the plugin sees them at the next run(), render at that sample.
    // 1000 is above the announced maximum of 256, so the plugin splits it.
    const std::vector<int> blocks = {1, 7, 64, 333, 256, 1000, 13, 129};
    std::multimap<long, std::pair<std::string, float>> moves;
    long pos = 0;
    for (size_t b = 0; pos < static_cast<long>(x.size()); ++b) {
      if (b % 5 == 4) moves.insert({pos, {"gain", static_cast<float>((b * 37) % 11)}});
      if (b % 7 == 3) moves.insert({pos, {"bass", static_cast<float>(static_cast<int>(b % 25) - 12)}});
      pos += blocks[b % blocks.size()];
    }
    Host host(kKnobUri, rate, 256);
    host.controls["gain"] = 2.5f;
    host.controls["bass"] = 4.0f;
    const std::vector<float> y = host.run(x, blocks, moves, /*in_place=*/rate == 96000.0);
    const std::vector<float> r = reference(file, rate, x, {{"gain", 2.5f}, {"bass", 4.0f}}, moves);
    CHECK(max_difference(y, r) <= 1e-6);
    CHECK(largest_step(y, 0, y.size()) > 1e-3);  // the output is not silence
    if (namk_can_resample()) {
      namk_model* m = nullptr;
      REQUIRE(namk_load_file(file.c_str(), &m) == NAMK_OK);
      REQUIRE(namk_prepare(m, rate, 64) == NAMK_OK);
      CHECK(host.controls["latency"] == static_cast<float>(namk_latency(m)));
      CHECK((rate == 48000.0) == (namk_latency(m) == 0));
      namk_free(m);
    }
  }
}

TEST_CASE("run: a plain NAM model at 44.1, 48 and 96 kHz") {
  for (double rate : {44100.0, 48000.0, 96000.0}) {
    if (rate != 48000.0 && !namk_can_resample()) continue;
    CAPTURE(rate);
    const std::vector<float> x = test_signal(rate, 0.3);
    Host host(kPlainUri, rate, 512);
    const std::vector<float> y = host.run(x, {512, 100, 3});
    CHECK(max_difference(y, reference(kFixtures + "/nam/wavenet.nam", rate, x, {}, {})) <= 1e-6);
  }
}

TEST_CASE("run() allocates nothing, with knob and gain moves and blocks above the maximum") {
  for (double rate : {48000.0, 44100.0, 96000.0}) {
    if (rate != 48000.0 && !namk_can_resample()) continue;
    CAPTURE(rate);
    Host host(kSmoothedUri, rate, 128);
    const std::vector<float> x = test_signal(rate, 0.1);
    std::multimap<long, std::pair<std::string, float>> moves = {
        {0, {"gain", 9.0f}}, {300, {"bass", -7.0f}}, {600, {"output_gain_db", 6.0f}}, {900, {"input_gain_db", -3.0f}}};
    // Counted from the first run() after activate (which resets the model), through odd and
    // changing block sizes, and again after a deactivate/activate cycle: the resampler's FIFOs
    // must already be grown, and re-creating its converters must happen in activate().
    long allocations = 0;
    host.run(x, {1, 31, 128, 500, 64}, moves, false, &allocations);
    host.run(x, {127, 3, 64, 1000}, moves, true, &allocations);
    lilv_instance_deactivate(host.instance);
    lilv_instance_activate(host.instance);
    host.run(x, {500, 1, 77}, moves, false, &allocations);
    CHECK(allocations == 0);
  }
  // The tracker sees an allocation made the same way, so the zero above means something.
  namk::test::CountAllocations count;
  std::vector<float>* v = new std::vector<float>(10);
  CHECK(count.count() > 0);
  delete v;
}

// Without smoothing (the unsmoothed fixture) the same knob jumps step 25 to 37 times the bound.
TEST_CASE("no zipper: a knob or gain jump steps no more than the output with the control still") {
  const double rate = 48000;
  const std::vector<float> x = test_signal(rate, 0.5);
  const long jump = 64 * 188;  // a block boundary, where hosts change controls
  auto still = [&](const std::string& control, float value) {
    Host host(kSmoothedUri, rate, 256);
    host.controls[control] = value;
    const std::vector<float> y = host.run(x, {64});
    return largest_step(y, 0, y.size());
  };
  struct Jump {
    std::string control;
    float from, to;
  };
  for (const Jump& j : {Jump{"gain", 0.0f, 10.0f}, Jump{"bass", 12.0f, -12.0f}, Jump{"output_gain_db", 0.0f, 12.0f},
                        Jump{"input_gain_db", -12.0f, 6.0f}}) {
    CAPTURE(j.control);
    // The bound: the output with the control held still at any value the ramp passes through.
    double bound = 0;
    for (float f = 0; f <= 1.0f; f += 0.25f) bound = std::max(bound, still(j.control, j.from + f * (j.to - j.from)));
    Host host(kSmoothedUri, rate, 256);
    host.controls[j.control] = j.from;
    const std::vector<float> y = host.run(x, {64}, {{jump, {j.control, j.to}}});
    // 10 % over the bound allowed: the model ramps conditioning as a staircase of 16-sample stairs
    // (nn/model.cpp), each adding 1/60 of the change to one sample's step (measured: 3.6 % over).
    CHECK(largest_step(y, 0, y.size()) <= 1.1 * bound);
  }
}

TEST_CASE("out-of-range controls are clamped and non-finite input gives finite output") {
  const double rate = 48000;
  std::vector<float> x = test_signal(rate, 0.2);
  Host clamped(kKnobUri, rate, 256), at_limits(kKnobUri, rate, 256);
  clamped.controls["gain"] = 1e9f;
  clamped.controls["bass"] = -1e9f;
  clamped.controls["output_gain_db"] = 1e6f;
  at_limits.controls["gain"] = 10.0f;
  at_limits.controls["bass"] = -12.0f;
  at_limits.controls["output_gain_db"] = 40.0f;
  CHECK(max_difference(clamped.run(x, {100}), at_limits.run(x, {100})) == 0.0);

  x[100] = NAN;
  x[2000] = INFINITY;
  x[3000] = -INFINITY;
  clamped.controls["gain"] = NAN;  // ignored: the knob keeps its value
  const std::vector<float> y = clamped.run(x, {100});
  CHECK(std::all_of(y.begin(), y.end(), [](float v) { return std::isfinite(v); }));
}

TEST_CASE("slim: a port on slimmable models only, and a new size swaps in after the worker built it") {
  const std::string file = kFixtures + "/nam_models/slimmable_container.nam";
  const LilvPlugin* p = world().plugin(kSlimUri);
  const uint32_t first_knob = namk_can_resample() ? 5 : 4;
  REQUIRE(lilv_plugin_get_num_ports(p) == first_knob + 1);  // no knobs, then slim
  const LilvPort* port = lilv_plugin_get_port_by_index(p, first_knob);
  CHECK(node_string(lilv_port_get_symbol(p, port)) == "slim");
  LilvNode *def = nullptr, *lo = nullptr, *hi = nullptr;
  lilv_port_get_range(p, port, &def, &lo, &hi);
  CHECK(lilv_node_as_float(def) == 1.0f);
  CHECK(lilv_node_as_float(lo) == 0.0f);
  CHECK(lilv_node_as_float(hi) == 1.0f);
  lilv_node_free(def);
  lilv_node_free(lo);
  lilv_node_free(hi);
  LilvNode* slim_symbol = lilv_new_string(world().world, "slim");
  CHECK(!lilv_plugin_get_port_by_symbol(world().plugin(kKnobUri), slim_symbol));
  CHECK(!lilv_plugin_get_port_by_symbol(world().plugin(kPlainUri), slim_symbol));
  lilv_node_free(slim_symbol);

  // Blocks of 64; slim moves to 0.1 before block 20. That run() still plays the full model and asks
  // the worker; from block 21 on the smallest size plays, from its own pre-warmed history.
  const double rate = 48000;
  const std::vector<float> x = test_signal(rate, 0.1);
  const size_t swap = 64 * 21;
  Host host(kSlimUri, rate, 256);
  long allocations = 0;
  const std::vector<float> y = host.run(x, {64}, {{64 * 20, {"slim", 0.1f}}}, false, &allocations);
  CHECK(allocations == 0);
  const std::vector<float> full = slim_reference(file, 1.0, x.data(), x.size());
  const std::vector<float> small = slim_reference(file, 0.1, x.data() + swap, x.size() - swap);
  std::vector<float> expected(full.begin(), full.begin() + static_cast<long>(swap));
  expected.insert(expected.end(), small.begin(), small.end());
  CHECK(max_difference(y, expected) <= 1e-6);
  CHECK(max_difference(expected, full) > 1e-3);  // the sizes sound different

  // Without the host's worker the port changes nothing: the full size plays throughout.
  Host no_worker(kSlimUri, rate, 256, /*worker_feature=*/false);
  CHECK(max_difference(no_worker.run(x, {64}, {{64 * 20, {"slim", 0.1f}}}), full) <= 1e-6);
}
