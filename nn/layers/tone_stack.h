// A knob-controlled tone stack: a cascade of equaliser sections (low shelf, peak, high shelf...)
// whose gain, frequency and Q are set by controls that a network computes from the knobs. Real
// amps' tone controls are filters between nonlinear stages; a model that has this structure can
// interpolate between recorded settings where a black box has to guess (issue 13).
//
// Controls: three unbounded numbers per section (a network's output), mapped to a range so any
// value designs a stable filter:
//   gain = max_gain_db * tanh(r0)
//   frequency = sqrt(min_hz * max_hz) * (max_hz / min_hz)^(tanh(r1) / 2)   (geometric middle at 0)
//   Q = sqrt(min_q * max_q) * (max_q / min_q)^(tanh(r2) / 2)
// All controls at zero make every section a 0 dB filter, the identity: a conditioner whose output
// layer starts at zero starts the tone stack flat.
//
// Training (tone_stack) and streaming (ToneStackStream::process) design the same sections from the
// same controls with the same code and run the same biquad kernel (core/kernels/biquad.h), so a
// stream started from silence equals the training graph, at any block size.
#pragma once

#include <vector>

#include "core/kernels/biquad.h"
#include "core/tape.h"

namespace namk {

struct ToneStackSection {
  BiquadKind kind = BiquadKind::Peak;
  double min_hz = 200, max_hz = 3000;
};

struct ToneStackConfig {
  // The default: bass, mid and treble, as on most amps.
  std::vector<ToneStackSection> sections = {{BiquadKind::LowShelf, 40, 400},
                                            {BiquadKind::Peak, 200, 3000},
                                            {BiquadKind::HighShelf, 1500, 12000}};
  double max_gain_db = 18;
  double min_q = 0.3, max_q = 3;
  double sample_rate = 48000;

  Index controls() const { return 3 * static_cast<Index>(sections.size()); }
};

// Section s designed from its three controls, with the coefficients' derivatives with respect to
// those controls (chain rule through the mapping above).
BiquadDesign design_tone_section(const ToneStackConfig& config, size_t s, const Scalar* controls);

// Section s's settings at its controls, through the mapping above: what the filter is, in the units
// a player reads (`nam-knobs info --tone-stack`).
struct ToneSectionSetting {
  BiquadKind kind = BiquadKind::Peak;
  double gain_db = 0, frequency = 0, q = 0;
};
ToneSectionSetting tone_section_setting(const ToneStackConfig& config, size_t s, const Scalar* controls);

// Training: x (1, T) -> y (1, T), the cascade run from silence. controls: (3 * sections, 1).
// Gradients flow to x and to controls. The record keeps each section's output and coefficient
// derivatives (a node of its own), so backward needs nothing but the tape.
Var tone_stack(Tape& t, Var x, Var controls, const ToneStackConfig& config);

// Streaming: the sections' state between blocks. prepare() allocates; process() does not, and
// redesigns the sections only when the controls change (a knob move or its ramp).
class ToneStackStream {
 public:
  void prepare(const ToneStackConfig& config);
  void reset() noexcept;
  // in and out may alias. controls: (3 * sections) values, constant over the block.
  void process(const ToneStackConfig& config, const Scalar* controls, const Scalar* in, Scalar* out,
               Index n) noexcept;

 private:
  std::vector<Biquad> filters_;
  std::vector<BiquadState> states_;
  std::vector<Scalar> designed_for_;  // the controls the filters were designed from
};

}  // namespace namk
