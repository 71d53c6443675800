// The three dataset forms load to the same thing; the data config and a bare dataset both work;
// knob defaults, ranges and paths behave as documented.
#include <doctest/doctest.h>

#include "data/knob_dataset.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;
using doctest::Contains;

namespace {

constexpr int kRate = 48000;

// input.wav and out_<i>.wav (i < n), two seconds each, in `dir`.
void write_recordings(const TempDir& dir, int n) {
  const auto x = noise(2 * kRate, 1);
  write_audio(dir / "input.wav", x, kRate);
  for (int i = 0; i < n; ++i)
    write_audio(dir / ("out_" + std::to_string(i) + ".wav"), delayed_amp(x, 0, 0.2 + 0.1 * i),
                kRate);
}

std::string config_for(const std::string& dataset) {
  return R"({"dataset": ")" + dataset +
         R"(", "delay": 0, "validation_tail_seconds": 0.25, "ny": 4096})";
}

KnobDataset load(const TempDir& dir, const std::string& dataset_json, Warnings& w,
                 bool via_config = true) {
  write_text(dir / "dataset.json", dataset_json);
  if (!via_config) return load_knob_dataset(read_data_config(dir / "dataset.json"), 64, w.sink());
  write_text(dir / "data.json", config_for("dataset.json"));
  return load_knob_dataset(read_data_config(dir / "data.json"), 64, w.sink());
}

}  // namespace

TEST_CASE("dataset form 1: entries with knob_type / knob_level, other knobs at their defaults") {
  TempDir dir;
  write_recordings(dir, 3);
  Warnings w;
  const KnobDataset d = load(dir, R"({"entries": [
    {"input_file": "input.wav", "output_file": "out_0.wav", "knob_type": "gain", "knob_level": 0.25},
    {"input_file": "input.wav", "output_file": "out_1.wav", "knob_type": "gain", "knob_level": 0.75},
    {"input_file": "input.wav", "output_file": "out_2.wav", "knob_type": "bass", "knob_level": 0.1}]})",
                             w);
  REQUIRE(d.knobs.size() == 2);
  CHECK(d.knobs[0].name == "gain");
  CHECK(d.knobs[1].name == "bass");
  CHECK(d.knobs[0].min == 0.0);
  CHECK(d.knobs[0].max == 1.0);
  CHECK(d.entries[0].spec.knob_values == std::vector<double>{0.25, 0.5});
  CHECK(d.entries[2].spec.knob_values == std::vector<double>{0.5, 0.1});
  CHECK(d.tracks.size() == 4);  // the shared input is read once
  CHECK(d.train.size() == 3);
  CHECK(d.validation.size() == 3);
  CHECK(w.list.empty());
}

TEST_CASE("dataset form 2: a top-level list with input_path / output_path") {
  TempDir dir;
  write_recordings(dir, 2);
  Warnings w;
  const KnobDataset d = load(dir, R"([
    {"input_path": "input.wav", "output_path": "out_0.wav", "knob_type": "drive", "knob_level": 0.0},
    {"input_path": "input.wav", "output_path": "out_1.wav", "knob_type": "drive", "knob_level": 1.0}])",
                             w);
  REQUIRE(d.knobs.size() == 1);
  CHECK(d.knobs[0].name == "drive");
  CHECK(d.entries[1].spec.knob_values == std::vector<double>{1.0});
  CHECK(d.entries[1].spec.output_file == dir / "out_1.wav");
}

TEST_CASE("dataset form 3: declared knobs, multi-knob entries, splits, delay, start/stop") {
  TempDir dir;
  write_recordings(dir, 4);
  Warnings w;
  const KnobDataset d = load(dir, R"({
    "knobs": [{"name": "gain", "min": 0, "max": 10, "default": 5, "units": "clock"},
              {"name": "bass", "min": -12, "max": 12}],
    "entries": [
      {"input_file": "input.wav", "output_file": "out_0.wav", "knobs": {"gain": 7, "bass": 3}, "split": "train"},
      {"input_file": "input.wav", "output_file": "out_1.wav", "knobs": {"gain": 2}, "start": 4800, "stop": "-0.5s"},
      {"input_file": "input.wav", "output_file": "out_2.wav", "knobs": {"bass": -12}, "split": "validation"},
      {"input_file": "input.wav", "output_file": "out_3.wav", "knobs": {"gain": 10, "bass": 12}, "split": "test", "delay": 0}]})",
                             w);
  REQUIRE(d.knobs.size() == 2);
  CHECK(d.knobs[0].units == "clock");
  CHECK(d.knobs[1].default_value == 0.0);  // the middle of -12..12
  CHECK(d.entries[0].spec.knob_values == std::vector<double>{7, 3});
  CHECK(d.entries[1].spec.knob_values == std::vector<double>{2, 0});
  CHECK(d.entries[2].spec.knob_values == std::vector<double>{5, -12});
  // Explicit "validation_tail_seconds" applies to train entries even when validation entries exist.
  CHECK(d.train.size() == 2);
  CHECK(d.validation.size() == 3);
  REQUIRE(d.test.size() == 1);
  CHECK(d.test[0].length == 2 * kRate - 63);
  // start 4800, stop 1.5 s: targets from 4800 + nx - 1 to 72000, minus the 0.25 s validation tail.
  CHECK(d.train[1].input_begin == 4800 + 63);
  CHECK(d.train[1].length == 72000 - (4800 + 63) - 12000);
  CHECK(w.list.empty());
}

TEST_CASE("a dataset JSON passed as the data config gets every default") {
  TempDir dir;
  write_recordings(dir, 2);
  Warnings w;
  write_text(dir / "dataset.json", R"({"entries": [
    {"input_file": "input.wav", "output_file": "out_0.wav", "knob_type": "gain", "knob_level": 0.5},
    {"input_file": "input.wav", "output_file": "out_1.wav", "knob_type": "gain", "knob_level": 1}]})");
  const DataConfig c = read_data_config(dir / "dataset.json");
  CHECK(c.dataset == dir / "dataset.json");
  CHECK(c.sample_rate == 48000);
  CHECK_FALSE(c.delay.has_value());  // "auto"
  CHECK_FALSE(c.validation_tail_seconds.has_value());
  CHECK(c.ny == 8192);
  const KnobDataset d = load_knob_dataset(c, 64, w.sink());
  CHECK(d.entries[0].delay_estimated);
  CHECK(d.entries[0].delay == 0);
  // "auto" validation: 1 s at the end of every train entry.
  REQUIRE(d.validation.size() == 2);
  CHECK(d.validation[0].length == kRate);
}

TEST_CASE(
    "data config: every key read, unknown keys rejected, dataset path relative to the config") {
  TempDir dir;
  write_text(dir / "c.json", R"({"dataset": "sub/d.json", "sample_rate": 44100, "delay": -3,
    "validation_tail_seconds": "auto", "ny": 2048, "infer_knob_ranges": true, "max_length_difference": 10})");
  const DataConfig c = read_data_config(dir / "c.json");
  CHECK(c.dataset == dir / "sub/d.json");
  CHECK(c.sample_rate == 44100);
  CHECK(c.delay == -3);
  CHECK_FALSE(c.validation_tail_seconds.has_value());
  CHECK(c.ny == 2048);
  CHECK(c.infer_knob_ranges);
  CHECK(c.max_length_difference == 10);
  write_text(dir / "bad.json", R"({"dataset": "d.json", "delay": "later"})");
  CHECK_THROWS_WITH_AS(
      read_data_config(dir / "bad.json"),
      Contains(
          "bad.json: delay: expected \"auto\", \"auto_per_pair\" or a whole number of samples, "
          "found the string \"later\""),
      InputError);
  write_text(dir / "typo.json", R"({"dataset": "d.json", "ny_": 5})");
  CHECK_THROWS_WITH_AS(
      read_data_config(dir / "typo.json"),
      Contains("expected only the fields dataset, sample_rate, delay, validation_tail_seconds, ny, "
               "infer_knob_ranges, max_length_difference, found an unknown field \"ny_\""),
      InputError);
  write_text(dir / "neither.json", R"({"model": "x"})");
  CHECK_THROWS_WITH_AS(
      read_data_config(dir / "neither.json"),
      Contains(
          "expected a data config (an object with \"dataset\") or a dataset (with \"entries\")"),
      InputError);
}

TEST_CASE("infer_knob_ranges takes undeclared ranges from the values used") {
  TempDir dir;
  write_recordings(dir, 2);
  write_text(dir / "dataset.json", R"({"entries": [
    {"input_file": "input.wav", "output_file": "out_0.wav", "knobs": {"gain": 2, "tone": 4}},
    {"input_file": "input.wav", "output_file": "out_1.wav", "knobs": {"gain": 8, "tone": 4}}]})");
  write_text(dir / "data.json",
             R"({"dataset": "dataset.json", "infer_knob_ranges": true, "delay": 0, "ny": 4096})");
  Warnings w;
  const KnobDataset d = load_knob_dataset(read_data_config(dir / "data.json"), 1, w.sink());
  CHECK(d.knobs[0].min == 2);
  CHECK(d.knobs[0].max == 8);
  CHECK(d.knobs[0].default_value == 5);
  CHECK(d.knobs[1].min == 3.5);  // one value seen: a unit range around it
  CHECK(d.knobs[1].max == 4.5);
}

TEST_CASE("the shipped data configs parse") {
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(NAMK_SOURCE_DIR) + "/configs/knobs")) {
    CAPTURE(entry.path().string());
    const DataConfig c = read_data_config(entry.path().string());
    CHECK_FALSE(c.dataset.empty());
  }
}
