// The report's measurements of a model on a dataset: ESR per recorded knob setting, target against
// model at the best and worst settings, and each knob's response swept across its range. The sweep
// and the comparisons run the model on seconds of audio, so the trainer computes them once, at the
// end of a run (report_html.h says so on pages written during training).
#pragma once

#include <span>
#include <vector>

#include "data/audio_checks.h"  // rms_db: the level in dB RMS (a full-scale sine is -3 dB)
#include "data/knob_dataset.h"
#include "nn/model.h"
#include "report/report_data.h"
#include "train/trainer.h"

namespace namk {

// One row per setting in `validation` then `test` (the trainer's evaluate() results), labelled as
// eval labels them.
std::vector<SettingResult> setting_results(const KnobDataset& data, const EvalResult& validation,
                                           const EvalResult& test);

// The best and the worst setting by ESR (just one when there is one setting).
std::vector<Comparison> compare_best_worst(const Model& model, const KnobDataset& data,
                                           const std::vector<SettingResult>& settings, int threads);

// Every knob swept over `points` values across its declared range.
std::vector<KnobResponse> knob_responses(const Model& model, const KnobDataset& data, int threads,
                                         int points = 25);

// Power spectrum averaged over Hann-windowed frames of `frame` samples (a power of two) with 50%
// overlap; power[k] belongs to freq_hz[k] = k * rate / frame, k = 0..frame/2.
struct Spectrum {
  std::vector<double> freq_hz, power;
};
Spectrum welch_spectrum(std::span<const float> x, int sample_rate, Index frame = 4096);
// Power-weighted mean frequency, in Hz (0 for silence).
double spectral_centroid(const Spectrum& s);

}  // namespace namk
