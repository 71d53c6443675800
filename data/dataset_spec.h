// The dataset JSON: which recordings exist and at which knob settings. Reads all three forms:
//   1. {"entries": [{"input_file", "output_file", "knob_type", "knob_level"}]}  (one knob per
//   entry)
//   2. [{"input_path", "output_path", "knob_type", "knob_level"}]                (older variant)
//   3. {"knobs": [{"name", "min", "max", "default"}], "entries": [{..., "knobs": {"gain": 7}}]}
// Any entry may add "split", "delay", "start", "stop" and "anchor" (true: a plan's anchor take).
// Invariant of the result: every entry has one value per knob, inside the knob's range. No audio
// is read here (knob_dataset.h does that).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/knob_spec.h"
#include "audio/audio_file.h"

namespace namk {

enum class Split { train, validation, test };
const char* split_name(Split split);

// A position within an entry's recording: samples, or seconds (written "2.5s"). Negative values
// count from the end, as in NAM's start/stop.
struct Position {
  double value = 0;
  bool seconds = false;
};

struct DatasetEntry {
  std::string field;                    // "entries[3]" (for messages)
  std::string input_file, output_file;  // resolved against the dataset's folder
  std::vector<double> knob_values;      // one per DatasetSpec::knobs, same order
  Split split = Split::train;
  std::optional<long long> delay;  // samples; absent: the data config decides
  std::optional<Position> start, stop;
  // The long take at the knobs' defaults of a capture plan (`nam-knobs plan --anchor-seconds`):
  // it teaches the amp's nonlinearity, the short takes how the knobs move it.
  bool anchor = false;
};

struct DatasetSpec {
  std::string file;
  std::vector<KnobSpec> knobs;
  bool knobs_declared = false;
  std::vector<DatasetEntry> entries;
};

// True for something that is a dataset rather than a data config: a list, or has "entries".
bool looks_like_dataset(const Json& root);

// infer_knob_ranges: with no "knobs" declared, take each knob's range from the values used
// (otherwise undeclared knobs range over 0..1). Warns about duplicate settings.
DatasetSpec parse_dataset(const Json& root, bool infer_knob_ranges, const WarningSink& warn);

}  // namespace namk
