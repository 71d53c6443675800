// What the training report shows, as plain numbers: the training log's rows, ESR per knob
// setting, target-vs-model excerpts and spectra, knob responses and the run's facts. Filled by
// analysis.h (from a model and a dataset) and read_training_log(); drawn by report_html.h. Keeping
// the numbers apart from the drawing lets tests compare them with what `eval` prints.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/knob_spec.h"

namespace namk {

// One row of training_log.csv.
struct EpochRow {
  long long epoch = 0;  // 1-based
  double train_loss = 0, validation_esr = 0, best_validation_esr = 0, lr = 0, elapsed_s = 0, samples_per_s = 0;
};

// The rows of a training_log.csv as `train` writes it. Throws InputError naming the file, the line
// and the column for a malformed row or header.
std::vector<EpochRow> read_training_log(const std::string& path);

// ESR of the model at one recorded knob setting: on the setting's validation segment (a trained
// setting) or on its whole recording (a held-out "test" setting).
struct SettingResult {
  int entry = 0;  // index into KnobDataset::entries
  std::vector<double> knobs;
  std::string label;  // "gain=2.5 tone=5", as eval prints it
  bool held_out = false;
  double esr = 0;
};

// Target against model at one setting: a short waveform excerpt and the magnitude spectra.
struct Comparison {
  std::string title;  // "best: gain=5 tone=5"
  SettingResult setting;
  double excerpt_start_s = 0;
  int sample_rate = 0;
  std::vector<double> target_wave, model_wave;       // the excerpt, sample by sample
  std::vector<double> freq_hz, target_db, model_db;  // log-spaced bands, power in dB
};

// One knob swept across its declared range with the other knobs fixed (at their defaults, or at
// the recorded slice nearest them): the model's output level and spectral centroid.
struct KnobResponse {
  KnobSpec knob;
  std::string others;  // "tone=5" (empty with one knob)
  std::vector<double> x, level_db, centroid_hz;
  // A recorded setting on this slice: the amp's recording and the model at the same setting, both
  // measured on that setting's own audio (which may be another input than the sweep's, e.g. a
  // held-out take; then both sit off the curve together).
  struct Recorded {
    double x = 0, level_db = 0, centroid_hz = 0;
    double model_level_db = 0, model_centroid_hz = 0;
    bool held_out = false;
    std::string label;
  };
  std::vector<Recorded> recorded;
};

struct ReportData {
  std::string title;
  std::string status;  // "finished", "training: epoch 3 of 15"
  std::vector<std::pair<std::string, std::string>> facts;
  std::vector<KnobSpec> knobs;
  std::vector<EpochRow> epochs;  // empty: no training log
  long long best_epoch = 0;      // 1-based; 0: none
  std::string settings_note;     // what the ESRs per setting were measured on
  std::vector<SettingResult> settings;
  std::string analysis_note;     // shown instead of the audio sections while they are not computed
  std::vector<Comparison> comparisons;
  std::vector<KnobResponse> responses;
};

}  // namespace namk
