// The data config (configs/knobs/*.json): which dataset, the expected sample rate, delay handling,
// the validation policy and the segment length. A dataset JSON given in its place is accepted and
// gets every default. The member initialisers below are the one place defaults are written;
// configs/README.md documents each key.
#pragma once

#include <optional>
#include <string>

#include "base/json.h"

namespace namk {

struct DataConfig {
  std::string file;     // where this config was read from
  std::string dataset;  // the dataset JSON, resolved against the config's folder
  int sample_rate = 48000;
  std::optional<long long> delay;  // samples the output lags the input; absent: "auto" (estimated)
  // "auto" estimates one latency shared by every pair (one recording chain); "auto_per_pair"
  // estimates each input/output pair on its own (recordings made through different chains).
  bool delay_per_pair = false;
  // Seconds at the end of every training entry held out for validation; absent: "auto", which is
  // 0 when the dataset marks entries "split": "validation" and 1 s otherwise.
  std::optional<double> validation_tail_seconds;
  long long ny = 8192;                   // target samples per training item
  bool infer_knob_ranges = false;        // undeclared knobs: range from the values used, not 0..1
  long long max_length_difference = 64;  // input/output length mismatch tolerated (samples, warned)
};

// Reads a data config, or a dataset JSON (recognised by looks_like_dataset()) with defaults.
DataConfig read_data_config(const std::string& path);
DataConfig parse_data_config(const Json& root);

}  // namespace namk
