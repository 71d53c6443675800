// The table of bad inputs from the data issue, one test each, checking the message: which file,
// which field or entry, what was expected, what was found. Tolerated problems check the warning.
#include <doctest/doctest.h>

#include <limits>

#include "data/knob_dataset.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;
using doctest::Contains;

namespace {

constexpr int kRate = 48000;
constexpr const char* kTail = R"(, "validation_tail_seconds": 0.25)";

// A folder with a good input.wav / out.wav pair (1 s) and helpers to load a dataset written there.
struct Fixture {
  TempDir dir;
  Warnings warnings;
  std::vector<float> x = noise(kRate, 5);

  Fixture() {
    write_audio(dir / "input.wav", x, kRate);
    write_audio(dir / "out.wav", delayed_amp(x, 0), kRate);
  }
  // One entry: input.wav -> `output`.
  static std::string entry(const std::string& output, const std::string& extra = "") {
    return R"({"input_file": "input.wav", "output_file": ")" + output + "\"" + extra + "}";
  }
  // The recordings are 1 s long, so the fixture holds out 0.25 s unless config_extra says
  // otherwise.
  KnobDataset load(const std::string& dataset, const std::string& config_extra = kTail,
                   Index nx = 64) {
    write_text(dir / "dataset.json", dataset);
    write_text(dir / "data.json",
               R"({"dataset": "dataset.json", "delay": 0, "ny": 4096)" + config_extra + "}");
    return load_knob_dataset(read_data_config(dir / "data.json"), nx, warnings.sink());
  }
  KnobDataset load_entries(const std::string& entries, const std::string& config_extra = kTail,
                           Index nx = 64) {
    return load(R"({"entries": [)" + entries + "]}", config_extra, nx);
  }
};

}  // namespace

TEST_CASE("bad input: missing audio file") {
  Fixture f;
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("nope.wav")),
                       Contains("nope.wav: expected an audio file, found no such file"),
                       InputError);
}

TEST_CASE("bad input: missing dataset file named by the config") {
  Fixture f;
  write_text(f.dir / "data.json", R"({"dataset": "missing.json"})");
  CHECK_THROWS_WITH_AS(
      load_knob_dataset(read_data_config(f.dir / "data.json"), 1, f.warnings.sink()),
      Contains("missing.json: expected a readable JSON file, found no such file"), InputError);
}

TEST_CASE("bad input: unreadable / corrupt audio") {
  Fixture f;
  write_text(f.dir / "corrupt.wav", "RIFF\x10\x00\x00\x00WAVEjunk that is not a wave file");
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("corrupt.wav")),
      Contains("corrupt.wav: expected audio that libsndfile can read (WAV, FLAC, AIFF...), found "
               "unreadable or corrupt audio"),
      InputError);
}

TEST_CASE("bad input: the dataset is not JSON, or has a syntax error (line and column)") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load("RIFF$\x01WAVEfmt "),
      Contains("dataset.json: line 1, column 1: expected valid JSON, found Invalid value."),
      InputError);
  CHECK_THROWS_WITH_AS(
      f.load(
          "{\"entries\": [\n  {\"input_file\": \"input.wav\",\n   \"output_file\" \"out.wav\"}]}"),
      Contains("dataset.json: line 3, column 18: expected valid JSON, found Missing a colon"),
      InputError);
}

TEST_CASE("bad input: missing field") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load_entries(R"({"input_file": "input.wav", "knob_type": "gain", "knob_level": 0.5})"),
      Contains("dataset.json: entries[0]: expected a field \"output_file\", found only the fields "
               "input_file, knob_type, knob_level"),
      InputError);
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("out.wav", R"(, "knob_type": "gain")")),
                       Contains("entries[0]: expected a field \"knob_level\""), InputError);
}

TEST_CASE("bad input: wrong type") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav", R"(, "knob_type": "gain", "knob_level": "half")")),
      Contains("dataset.json: entries[0].knob_level: expected a number, found the string \"half\""),
      InputError);
  CHECK_THROWS_WITH_AS(f.load(R"({"entries": {"input_file": "input.wav"}})"),
                       Contains("dataset.json: entries: expected an array, found an object"),
                       InputError);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav", R"(, "split": "holdout")")),
      Contains("entries[0].split: expected \"train\", \"validation\" or \"test\", found the string "
               "\"holdout\""),
      InputError);
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("out.wav", R"(, "delay": 2.5)")),
                       Contains("entries[0].delay: expected an integer, found the number 2.5"),
                       InputError);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav", R"(, "start": "3 seconds")")),
      Contains("entries[0].start: expected a whole number of samples (e.g. 48000) or seconds as a "
               "string (e.g. \"1.5s\")"),
      InputError);
}

TEST_CASE("bad input: unknown field in an entry") {
  Fixture f;
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("out.wav", R"(, "knob_lvl": 0.5)")),
                       Contains("entries[0]: expected only the fields input_file, output_file"),
                       InputError);
}

TEST_CASE("bad input: empty entries") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load(R"({"entries": []})"),
      Contains("dataset.json: entries: expected at least one entry, found an empty list"),
      InputError);
  CHECK_THROWS_WITH_AS(
      f.load("[]"), Contains("dataset.json: top level: expected at least one entry"), InputError);
}

TEST_CASE("bad input: unknown knob (never silently replaced by a default)") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load(
          R"({"knobs": [{"name": "gain", "min": 0, "max": 10}, {"name": "bass", "min": 0, "max": 10}],
                 "entries": [)" +
          Fixture::entry("out.wav", R"(, "knobs": {"gain": 3, "treble": 4})") + "]}"),
      Contains("dataset.json: entries[0].knobs.treble: expected a declared knob (gain, bass), "
               "found the knob \"treble\""),
      InputError);
  CHECK_THROWS_WITH_AS(
      f.load(R"({"knobs": [{"name": "gain"}], "entries": [)" +
             Fixture::entry("out.wav", R"(, "knob_type": "drive", "knob_level": 0.5)") + "]}"),
      Contains("entries[0].knob_level: expected a declared knob (gain), found the knob \"drive\""),
      InputError);
}

TEST_CASE("bad input: knob out of range") {
  Fixture f;
  CHECK_THROWS_WITH_AS(f.load(R"({"knobs": [{"name": "gain", "min": 0, "max": 10}], "entries": [)" +
                              Fixture::entry("out.wav", R"(, "knobs": {"gain": 11})") + "]}"),
                       Contains("dataset.json: entries[0].knobs.gain: expected a value of knob "
                                "\"gain\" within [0, 10], found the number 11"),
                       InputError);
  // Undeclared knobs range over 0..1, and the message says how to change that.
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav", R"(, "knob_type": "gain", "knob_level": 7)")),
      Contains("within [0, 1] (the range of an undeclared knob; declare it under \"knobs\""),
      InputError);
  CHECK_THROWS_WITH_AS(
      f.load(R"({"knobs": [{"name": "gain", "min": 5, "max": 5}], "entries": []})"),
      Contains("knobs[0]: expected min < max, found min 5 and max 5"), InputError);
}

TEST_CASE("warning: duplicate setting") {
  Fixture f;
  f.load_entries(Fixture::entry("out.wav", R"(, "knob_type": "gain", "knob_level": 0.5)") + "," +
                 Fixture::entry("out.wav", R"(, "knob_type": "gain", "knob_level": 0.5)"));
  CHECK(f.warnings.contains("entries[1] has the same knob setting as entries[0] (gain=0.5)"));
}

TEST_CASE("bad input: sample-rate mismatch, between input and output and against the config") {
  Fixture f;
  write_audio(f.dir / "out44.wav", delayed_amp(f.x, 0), 44100);
  const std::string both = "entries[0]: expected input and output at the same sample rate, found " +
                           (f.dir / "input.wav") + " at 48000 Hz and " + (f.dir / "out44.wav") +
                           " at 44100 Hz";
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("out44.wav")), Contains(both.c_str()),
                       InputError);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav"), R"(, "sample_rate": 44100)"),
      Contains("input.wav: expected 44100 Hz (the data config's \"sample_rate\"), found 48000 Hz; "
               "resample the recordings or set \"sample_rate\": 48000"),
      InputError);
}

TEST_CASE("stereo: identical channels accepted with a warning, different channels an error") {
  Fixture f;
  const auto y = delayed_amp(f.x, 0);
  std::vector<float> same(2 * y.size()), different(2 * y.size());
  for (size_t t = 0; t < y.size(); ++t) {
    same[2 * t] = same[2 * t + 1] = y[t];
    different[2 * t] = y[t];
    different[2 * t + 1] = 0.5f * y[t];
  }
  write_audio(f.dir / "same.wav", same, kRate, 2);
  write_audio(f.dir / "diff.wav", different, kRate, 2);
  const KnobDataset d = f.load_entries(Fixture::entry("same.wav"));
  CHECK(f.warnings.contains("same.wav: 2 identical channels; using the first"));
  CHECK(d.tracks[d.entries[0].output_track] == y);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("diff.wav")),
      Contains(
          "diff.wav: expected mono audio, found 2 channels that differ (export the amp's output "
          "as a mono file"),
      InputError);
}

TEST_CASE(
    "input and output lengths: a few samples tolerated with a warning, more an error with both "
    "lengths") {
  Fixture f;
  auto y = delayed_amp(f.x, 0);
  y.resize(y.size() - 10);
  write_audio(f.dir / "short.wav", y, kRate);
  y.resize(y.size() - 4790);
  write_audio(f.dir / "shorter.wav", y, kRate);
  f.load_entries(Fixture::entry("short.wav"));
  CHECK(f.warnings.contains("entries[0]: lengths differ slightly"));
  const std::string lengths = "has 48000 samples (1.000 s), output " + (f.dir / "shorter.wav") +
                              " has 43200 samples (0.900 s)";
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("shorter.wav")), Contains(lengths.c_str()),
                       InputError);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("shorter.wav")),
      Contains("entries[0]: expected input and output of the same length (within 64 samples"),
      InputError);
}

TEST_CASE("bad input: output clipping, in float and in 16-bit PCM files") {
  Fixture f;
  auto y = delayed_amp(f.x, 0);
  y[1000] = 1.0f;
  write_audio(f.dir / "clip.wav", y, kRate);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("clip.wav")),
      Contains("clip.wav: sample 1000 (0.021 s): expected |y| < 1.0 (no clipping), found |y| = "
               "1.000000: the output clipped"),
      InputError);
  y[1000] = 0.5f;
  y[2000] = 1.0f;  // 16-bit full scale reads back as 32767/32768
  write_audio(f.dir / "clip16.wav", y, kRate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("clip16.wav")),
      Contains("clip16.wav: sample 2000 (0.042 s): expected |y| < 1.0 (no clipping)"), InputError);
}

TEST_CASE("bad input: silent or near-silent output") {
  Fixture f;
  write_audio(f.dir / "zero.wav", std::vector<float>(kRate, 0.0f), kRate);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("zero.wav")),
      Contains("zero.wav: expected audio with signal (RMS above -80.0 dBFS), found silent or "
               "near-silent audio (RMS -inf dBFS)"),
      InputError);
  write_audio(f.dir / "hiss.wav", noise(kRate, 9, 1e-5), kRate);
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("hiss.wav")),
                       Contains("hiss.wav: expected audio with signal"), InputError);
}

TEST_CASE("bad input: NaN or Inf samples") {
  Fixture f;
  auto y = delayed_amp(f.x, 0);
  y[480] = std::numeric_limits<float>::quiet_NaN();
  write_audio(f.dir / "nan.wav", y, kRate);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("nan.wav")),
      Contains("nan.wav: sample 480 (0.010 s): expected finite samples, found NaN"), InputError);
  auto x = f.x;
  x[7] = std::numeric_limits<float>::infinity();
  write_audio(f.dir / "inf_in.wav", x, kRate);
  CHECK_THROWS_WITH_AS(
      f.load_entries(R"({"input_file": "inf_in.wav", "output_file": "out.wav"})"),
      Contains("inf_in.wav: sample 7 (0.000 s): expected finite samples, found Inf"), InputError);
}

TEST_CASE("bad input: data shorter than the receptive field") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav", R"(, "start": 1000, "stop": 1100)"), kTail, 200),
      Contains("dataset.json: entries[0]: expected more than nx - 1 = 199 samples of audio after "
               "start/stop and delay (nx is the model's receptive field), found only 100 samples"),
      InputError);
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav", R"(, "start": 2000, "stop": 1000)")),
      Contains(
          "entries[0]: expected 0 <= start < stop <= 48000 samples (1.000 s), found start 2000 "
          "and stop 1000"),
      InputError);
}

TEST_CASE("bad input: no training data left after the validation split") {
  Fixture f;
  CHECK_THROWS_WITH_AS(
      f.load_entries(Fixture::entry("out.wav"), R"(, "validation_tail_seconds": 0.95)"),
      Contains("dataset.json: expected training data left after the validation split"), InputError);
  CHECK(f.warnings.contains("entries[0]: its training part"));
  CHECK_THROWS_WITH_AS(f.load_entries(Fixture::entry("out.wav", R"(, "split": "test")")),
                       Contains("found no entry with \"split\": \"train\""), InputError);
}

TEST_CASE("warning: a nearly silent validation segment") {
  Fixture f;
  auto y = delayed_amp(f.x, 0);
  for (auto& v : y) v *= 3e-3f;  // a quiet take: above the silence error, below the warning
  write_audio(f.dir / "tail.wav", y, kRate);
  f.load_entries(
      Fixture::entry("out.wav") + "," + Fixture::entry("tail.wav", R"(, "split": "validation")"),
      R"(, "validation_tail_seconds": 0)");
  CHECK(f.warnings.contains("entries[1]: its validation segment is nearly silent"));
}
