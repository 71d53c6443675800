// A knob dataset loaded and checked: every distinct audio file read once into float32 "tracks",
// entries aligned (delay), trimmed and split into training, validation and test segments that
// refer to the tracks by offsets. Invariant: every segment has nx - 1 samples of input context
// before its first target, and every training segment holds at least ny targets.
// Batching (random windows) is in sampler.h; this file never copies audio per item. Tracks are held
// in memory, or mapped from float32 cache files next to the audio (data/audio_cache.h) for training.
#pragma once

#include <span>
#include <optional>
#include <string>
#include <vector>

#include "base/knob_spec.h"
#include "core/scalar.h"
#include "data/alignment.h"
#include "audio/audio_file.h"
#include "data/data_config.h"
#include "data/dataset_spec.h"
#include "data/track.h"

namespace namk {

struct LoadedEntry {
  DatasetEntry spec;
  long long delay = 0;           // samples the output lags the input, as used
  bool delay_estimated = false;  // true when "auto" measured it
  DelayEstimate estimate;        // this pair's own first-arrival estimate (made for every entry)
  bool delay_outlier = false;    // "auto": its estimate was not used for the shared latency
  // A plan's take (its input carries the alignment blips, data/blips.h): the blips' delay, and
  // what they say is wrong ("" when both ends agree). A take whose blips put it more than
  // kBlipTolerance from the shared latency really was recorded shifted: it trains with its own
  // delay (blip_shifted) instead of being treated as an outlier.
  std::optional<long> blip_delay;
  std::string blip_problem;
  bool blip_shifted = false;
  int input_track = 0, output_track = 0;
};

// Targets output[output_begin, output_begin + length) of one entry; input[input_begin] is the
// input sample aligned with output[output_begin].
struct Segment {
  int entry = 0;
  int input_track = 0, output_track = 0;
  Index input_begin = 0, output_begin = 0, length = 0;
};

// One model input/target pair, pointing into the dataset's tracks (valid while it lives).
struct BatchItem {
  std::span<const float> x;       // length + nx - 1 input samples; x[j + nx - 1] aligns with y[j]
  std::span<const float> y;       // `length` target samples
  std::span<const double> knobs;  // the entry's knob values, in the knobs' own units
  int entry = 0;
};

struct KnobDataset {
  std::vector<KnobSpec> knobs;
  int sample_rate = 0;
  Index nx = 1, ny = 1;
  std::vector<std::string> track_files;
  std::vector<Track> tracks;
  std::vector<LoadedEntry> entries;
  std::vector<Segment> train, validation, test;

  // Targets [offset, offset + length) of segment s.
  BatchItem item(const Segment& s, Index offset, Index length) const;
  BatchItem whole(const Segment& s) const { return item(s, 0, s.length); }
  // Human-readable: knobs, entries with their delays, seconds of audio per split.
  std::string summary() const;
  // Mapped tracks give their pages back (Track::release): resident memory then holds only what is
  // touched after this. The trainer calls it after every step.
  void release_pages() const;
};

// Where the tracks live: read into memory, or mapped from their cache files (made when missing).
enum class AudioStorage { kMemory, kMappedCache };

// nx is the model's receptive field (1 for a memoryless model). Throws InputError for every bad
// input the issue lists; tolerated problems go to `warn`.
KnobDataset load_knob_dataset(const DataConfig& config, Index nx, const WarningSink& warn,
                              AudioStorage storage = AudioStorage::kMemory);

}  // namespace namk
