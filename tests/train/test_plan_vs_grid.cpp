// The capture plan's promise, end to end: a session planned by `nam-knobs plan` and "recorded"
// through the built-in virtual amp (gain and tone knobs) trains a model that does at least as
// well on settings it never heard as a hand-made grid of the same size: the same number of
// settings, the same input signal and seconds per take, the same model, seed and training steps.
// Both are measured on the same held-out settings, drawn uniformly at random (neither design's
// own choice). Slow for the sanitizer build, which leaves this executable out (tests/train/CMake).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/json.h"
#include "audio/audio_file.h"
#include "data/capture_plan.h"
#include "data/demo_amp.h"
#include "data/knob_dataset.h"
#include "data/rng.h"
#include "nn/model_config.h"
#include "train/trainer.h"
#include "tests/test_temp_path.h"

using namespace namk;

namespace {

namespace fs = std::filesystem;

struct Comparison {
  double plan_esr = 0, grid_esr = 0;
};

std::string temp_dir(const std::string& name) {
  auto p = test::temp_path(name);
  fs::remove_all(p);
  return p.string();
}

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

// Records one take of `input` through the virtual amp.
void record(const std::string& dir, const std::string& input, const std::string& file, double gain,
            double tone) {
  Audio x = read_audio(dir + "/" + input, [](const std::string&) {});
  write_wav(dir + "/" + file, demo_amp(x.samples, gain, tone), x.sample_rate);
}

// A small FiLM WaveNet: 2 ms of receptive field is less than the amp's memory, but the same for
// both datasets, and it trains in seconds.
ModelConfig small_model() {
  return model_config_from_json(Json::parse_string(R"({
    "architecture": "WaveNet",
    "config": {"layers": [{"input_size": 1, "condition_size": 1, "head_size": 1, "channels": 8,
                           "kernel_size": 3, "dilations": [1, 2, 4, 8, 16, 32],
                           "activation": "Tanh", "gated": false, "head_bias": true}],
               "head": null, "head_scale": 0.5},
    "knobs": [{"name": "gain", "min": 0, "max": 10}, {"name": "tone", "min": 0, "max": 10}],
    "conditioning": {"method": "film", "hidden": 8, "activation": "Tanh", "shift": true,
                     "head": false}})",
                                                   "plan-vs-grid model"));
}

double train_and_test(const std::string& dataset, int steps, std::uint64_t seed) {
  DataConfig config = read_data_config(dataset);
  config.ny = 4096;
  config.delay = 0;  // the virtual amp has no latency
  auto model = make_model(small_model());
  const KnobDataset data =
      load_knob_dataset(config, model->receptive_field(),
                        [](const std::string& w) { FAIL("unexpected warning: " << w); });
  model->init_params(seed);
  LearningConfig l;
  l.epochs = 1;
  l.steps_per_epoch = steps;
  l.batch_size = 8;
  l.lr = 0.006;
  l.lr_decay = 1.0;
  l.seed = seed;
  l.threads = 2;
  l.loss.pre_emphasis_mrstft = 0;
  TrainOptions o;
  o.out_dir = fs::path(dataset).parent_path().string() + "/run";
  Progress quiet(Progress::Mode::Quiet);
  const TrainResult r = train(*model, data, l, o, quiet);
  REQUIRE(!r.test.entries.empty());
  if (std::getenv("VERBOSE"))
    std::printf("  %s: validation ESR %.4f, held-out %.4f\n", dataset.c_str(),
                r.validation.mean_esr, r.test.mean_esr);
  std::fflush(stdout);
  return r.test.mean_esr;
}

// n_side x n_side grid vs an n_side^2-setting plan, `seconds` per take, `held_out` random
// settings in [0.5, 9.5]^2 recorded with the same input and marked "test" in both datasets.
Comparison compare(std::uint64_t seed, int n_side, double seconds, int held_out, int steps) {
  const std::string plan_dir = temp_dir("namk_plan_vs_grid_plan_" + std::to_string(seed));
  const std::string grid_dir = temp_dir("namk_plan_vs_grid_grid_" + std::to_string(seed));
  PlanOptions o;
  o.knobs = {parse_plan_knob("gain:0:10"), parse_plan_knob("tone:0:10")};
  o.settings = static_cast<size_t>(n_side * n_side);
  o.tests = 0;
  o.seconds = seconds;
  o.seed = seed;
  const CapturePlan plan = make_capture_plan(o);
  write_capture_session(plan, plan_dir, false);
  for (const Take& t : plan.takes) record(plan_dir, "input.wav", t.file, t.knobs[0], t.knobs[1]);

  // The grid reuses the plan's input.wav and trims; only the settings differ.
  fs::create_directories(grid_dir);
  fs::copy_file(plan_dir + "/input.wav", grid_dir + "/input.wav");
  const std::string trim = R"(, "start": "2.25s", "stop": "-1.75s")";
  std::string grid_entries, test_entries;
  for (int i = 0; i < n_side; ++i)
    for (int j = 0; j < n_side; ++j) {
      const double gain = 10.0 * i / (n_side - 1), tone = 10.0 * j / (n_side - 1);
      const std::string file = "grid_gain" + num(gain) + "_tone" + num(tone) + ".wav";
      record(grid_dir, "input.wav", file, gain, tone);
      grid_entries += R"(    {"input_file": "input.wav", "output_file": ")" + file +
                      R"(", "knobs": {"gain": )" + num(gain) + R"(, "tone": )" + num(tone) + "}" +
                      trim + "},\n";
    }
  Rng rng = make_rng(seed, 77);
  for (int i = 0; i < held_out; ++i) {
    const double gain = std::round(uniform(rng, 0.5, 9.5) * 10) / 10,
                 tone = std::round(uniform(rng, 0.5, 9.5) * 10) / 10;
    const std::string file = "heldout_gain" + num(gain) + "_tone" + num(tone) + ".wav";
    for (const auto& dir : {plan_dir, grid_dir}) record(dir, "input.wav", file, gain, tone);
    test_entries += std::string(i ? ",\n" : "") +
                    R"(    {"input_file": "input.wav", "output_file": ")" + file +
                    R"(", "knobs": {"gain": )" + num(gain) + R"(, "tone": )" + num(tone) +
                    R"(}, "split": "test")" + trim + "}";
  }
  const std::string knobs =
      R"({"knobs": [{"name": "gain", "min": 0, "max": 10}, {"name": "tone", "min": 0, "max": 10}],)"
      "\n \"entries\": [\n";
  std::string plan_entries;
  for (const Take& t : plan.takes)
    plan_entries += R"(    {"input_file": "input.wav", "output_file": ")" + t.file +
                    R"(", "knobs": {"gain": )" + num(t.knobs[0]) + R"(, "tone": )" +
                    num(t.knobs[1]) + "}" + trim + "},\n";
  {
    std::FILE* f = std::fopen((plan_dir + "/compare.json").c_str(), "w");
    std::fputs((knobs + plan_entries + test_entries + "\n]}\n").c_str(), f);
    std::fclose(f);
    f = std::fopen((grid_dir + "/compare.json").c_str(), "w");
    std::fputs((knobs + grid_entries + test_entries + "\n]}\n").c_str(), f);
    std::fclose(f);
  }
  Comparison c;
  c.plan_esr = train_and_test(plan_dir + "/compare.json", steps, seed);
  c.grid_esr = train_and_test(grid_dir + "/compare.json", steps, seed);
  fs::remove_all(plan_dir);
  fs::remove_all(grid_dir);
  return c;
}

}  // namespace

// Four settings for two knobs: the grid is the four corners (what a user recording "each knob at
// both ends" makes), the plan a maximin Latin hypercube that gives each knob four values. Over
// seeds 1-4 the plan's held-out ESR was 2-4x lower (docs/capture.md); at 9 and 16 settings the
// two are within training noise of each other on this amp, so those sizes are in the report only.
TEST_CASE("a planned session reaches the held-out ESR of a same-size grid, or better") {
  const Comparison c = compare(1, 2, 8.0, 6, 400);
  MESSAGE("held-out ESR: plan " << c.plan_esr << ", grid " << c.grid_esr);
  CHECK(c.plan_esr <= c.grid_esr);
}

// The numbers behind the test (docs/capture.md): grid sides 2, 3, 4 (4, 9, 16 settings), seeds
// 1-4, 600 steps; many minutes. Run with --no-skip; the environment variables SIDE, SEED, SEEDS,
// STEPS and TAKE_SECONDS narrow or change the sweep, VERBOSE=1 adds validation ESRs.
TEST_CASE("plan vs grid over seeds (report)" * doctest::skip()) {
  const auto env = [](const char* name, double fallback) {
    const char* v = std::getenv(name);
    return v ? std::atof(v) : fallback;
  };
  const int steps = static_cast<int>(env("STEPS", 600));
  const double seconds = env("TAKE_SECONDS", 8.0);
  const auto seed_lo = static_cast<std::uint64_t>(env("SEED", 1));
  const auto seeds = static_cast<std::uint64_t>(env("SEEDS", 4));
  std::vector<int> sides = {2, 3, 4};
  if (std::getenv("SIDE")) sides = {static_cast<int>(env("SIDE", 3))};
  for (int n_side : sides)
    for (std::uint64_t seed = seed_lo; seed < seed_lo + seeds; ++seed) {
      const Comparison c = compare(seed, n_side, seconds, 6, steps);
      std::printf("settings %d seed %llu: held-out ESR plan %.4f grid %.4f\n", n_side * n_side,
                  static_cast<unsigned long long>(seed), c.plan_esr, c.grid_esr);
      std::fflush(stdout);
    }
}
