// ToneStackWaveNet, a knob model shaped like an amp: a WaveNet stage (the preamp), a tone stack
// whose filters the knobs set (nn/layers/tone_stack.h), and a second WaveNet stage (the power amp
// and cab). A real amp's tone controls are filters between two nonlinear stages; a model built the
// same way has to learn only how the knobs move the filters, and can interpolate between recorded
// settings where a black box guesses (issue 13).
//
// With knobs, the FiLM network computes the stages' FiLM and the tone stack's controls (3 per
// section, rows after the FiLM sites' in the conditioning column, starting at zero: the untrained
// tone stack is flat), so the knobs need FiLM conditioning. Controls ramp with the rest of the
// conditioning when a knob moves (Model::set_smoothing_ms), and the sections are redesigned at
// each ramp step. Without knobs the controls are parameters of their own: a learned fixed EQ.
// With knobs_in_post false the second stage has no FiLM sites: it runs unmodulated, so the knobs
// can act only before and in the tone stack.
//
// Parameters: pre.layers[...] (the first stage's arrays, NAM's WaveNet order), post.layers[...],
// then tone_stack.controls without knobs, or the FiLM network with them. The stages' head_scale
// are config constants.
//
// Streaming and the training graph differ in one way no WaveNet has: the tone stack is recursive,
// so its state carries everything before the window. The graph starts it from rest at the first
// sample the first stage outputs; a stream carries it from whatever it played before. After a few
// of the lowest section's time constants the two agree to rounding.
#pragma once

#include "nn/layers/tone_stack.h"
#include "nn/layers/wavenet_stage.h"
#include "nn/model.h"

namespace namk {

class ToneStackWaveNet final : public Model {
 public:
  explicit ToneStackWaveNet(const ModelConfig& config);
  // The tone stack's settings without knobs (a learned fixed EQ); with knobs they are the
  // conditioner's control rows.
  static constexpr const char* kFixedControls = "tone_stack.controls";

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;
  // Refuses: no NAM architecture has a recursive filter.
  std::unique_ptr<Model> baked(std::span<const double> knob_values) const override;
  // A plain model's fixed EQ becomes the biases of the conditioner's control rows, which start at
  // zero (flat): the knob model then starts as the plain one at every setting, EQ included, since
  // the plain model's stages were trained around its EQ.
  void adopt_plain_extras(const Model& plain, const std::string& plain_name) override;

  // The tone stack's sections at these knob values (one per knob; none without knobs: the fixed
  // EQ), as the filters the model plays there. Throws UsageError on a wrong count.
  std::vector<ToneSectionSetting> tone_settings(std::span<const double> knob_values) const;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;

  const ToneStackConfig& tone() const { return config_.tone_stack_wavenet.tone_stack; }
  WaveNetStage pre_, post_;
  WaveNetStage::State pre_state_, post_state_;
  ToneStackStream tone_state_;
  std::vector<Scalar> between_;  // a block between the stages
  Index fixed_controls_ = 0;     // offset of tone_stack.controls (without knobs)
  KnobConditioner post_knobs_;   // the second stage's: conditioner(), or none (knobs_in_post false)
  bool knobs_in_post_ = true;
  const KnobConditioner& post_knobs() const { return knobs_in_post_ ? conditioner() : post_knobs_; }
};

}  // namespace namk
