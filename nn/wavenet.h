// NAM's WaveNet: one WaveNet stage (nn/layers/wavenet_stage.h), a chain of layer arrays whose last
// head, times head_scale, is the output. Knobs modulate each layer's pre-activation z (FiLM) or
// join the input mixer's condition (concat). Parameters: each array's, in order (NAM's .nam
// "weights" order); head_scale is a config constant, not a parameter. Streaming keeps, per layer,
// a linear ring buffer of its input (see history.h). A condition_dsp (a WaveNet of its own weights,
// kept in the config) computes the condition in place of the audio; with it the model is inference
// only (forward with a gradient throws UsageError). Arrays with NAM 0.6 layer options take no knobs,
// except as input channels: a file with in_channels = 1 + n (nn/knob_inputs.h) runs with its knobs
// (concat, raw values) as the input's rows 1..n, for inference only.
#pragma once

#include "nn/layers/wavenet_stage.h"
#include "nn/model.h"

namespace namk {

class WaveNet final : public Model {
 public:
  explicit WaveNet(const ModelConfig& config);

  Index receptive_field() const override;
  double flops_per_sample() const override;
  Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const override;
  std::unique_ptr<Model> baked(std::span<const double> knob_values) const override;

 private:
  void prepare_stream(int max_block) override;
  void process_block(const Scalar* in, Scalar* out, int n) noexcept override;
  void reset_stream() noexcept override;
  Index dsp_reach() const { return config_.wavenet.condition_dsp ? dsp_.reach() : 0; }

  WaveNetStage stage_;
  WaveNetStage::State state_;
  // NAM 0.6's condition_dsp (config.wavenet.condition_dsp): a stage of its own, with its own weights,
  // whose output is stage_'s condition.
  ParamLayout dsp_layout_;
  WaveNetStage dsp_;
  WaveNetStage::State dsp_state_;
  Mat dsp_out_;  // (its output channels, max_block)
  Mat inputs_;   // with knob input channels: [audio; knobs] (in_channels, max_block)
};

}  // namespace namk
