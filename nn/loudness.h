// A model's loudness as NAM's trainer defines it: the level in dB (20 log10 of the RMS) of the
// model's output for a standard input played at unit gain from a silent start, at its nominal
// settings. NAM's runtime turns output down by it to normalise captures. NAM's standard input is a
// recording shipped with its trainer; ours is the synthetic signal below (docs/model_format.md),
// so the numbers agree with NAM's in meaning, not to the decimal.
#pragma once

#include <span>

#include "nn/model.h"

namespace namk {

// The standard input at a sample rate: four decaying plucked notes (E2, A2, D3, G3), 0.75 s each.
// (1, T).
Mat loudness_input(double sample_rate);

// The loudness (dB) of model at knob_values (one per knob; empty: the defaults): a
// copy of the model streams loudness_input() at its own rate after reset and pre-warm, as render
// does; the model itself is not touched. -inf for a silent output.
double model_loudness(const Model& model, std::span<const double> knob_values);
// At the knobs' defaults (the setting export bakes when no --knob is given).
double model_loudness(const Model& model);

// NAM's `gain` metadata, 0..1: how far the output level saturates as the input grows. The output
// RMS at input gains 0, 0.1, ..., 1 (the standard input scaled) is summed; a model whose level
// grows in proportion to the input sums to half of 11 times its top level (0), one whose level is
// the top level at every gain sums to 11 times it (1); clamped to 0..1. At knob_values (empty:
// the defaults). 0 for a silent model.
double model_gain(const Model& model, std::span<const double> knob_values = {});

}  // namespace namk
