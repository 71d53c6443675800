// See wavenet.h: the model is one stage; this file connects it to the model's conditioning.
#include "nn/wavenet.h"

#include "base/error.h"
#include "core/ops.h"

namespace namk {

WaveNet::WaveNet(const ModelConfig& config) : Model(config) {
  const auto refuse = [](const std::string& field, const std::string& expected, const std::string& found) {
    throw InputError(describe_error("model config", field, expected, found));
  };
  // Knob input channels: the knobs (concat, raw values) are the input's channels 1..n, which both
  // the first array and the condition (or the condition_dsp) read.
  const Index inputs = config_.wavenet.in_channels;
  if (inputs > 1 && (!uses_concat() || static_cast<Index>(config_.knobs.size()) != inputs - 1))
    refuse("config.in_channels", "1, or 1 + the knobs feeding the extra channels", std::to_string(inputs));
  const Index knob_channels = uses_concat() && inputs == 1 ? static_cast<Index>(config_.knobs.size()) : 0;
  Index condition_size = inputs;
  if (const auto& dsp = config_.wavenet.condition_dsp) {
    if (has_knobs() && inputs == 1) refuse("config.condition_dsp", "null in a model with knobs", "a condition model");
    std::vector<Index> sites;
    condition_size = dsp->config->layers.empty() ? 1 : dsp->config->layers.back().head_size;
    dsp_ = WaveNetStage(dsp_layout_, "", "config.condition_dsp.config", *dsp->config, 0, false, sites, inputs,
                        condition_size);
    if (dsp_layout_.size() != static_cast<Index>(dsp->weights.size()))
      refuse("config.condition_dsp.weights", std::to_string(dsp_layout_.size() + 1) + " weights for its config",
             std::to_string(dsp->weights.size() + 1));
  }
  std::vector<Index> film_sites;
  stage_ = WaveNetStage(layout_, "", "config", config_.wavenet, knob_channels, config_.film.head, film_sites,
                        condition_size);
  if (has_knobs() && inputs == 1 && config_.wavenet.layer_options())
    throw InputError(describe_error("model config", "config.layers",
                                    "no NAM 0.6 layer options (bottleneck, groups, head1x1, blended gating, PReLU, "
                                    "FiLM sites...) in a model with knobs",
                                    "an array with them"));
  finish_layout(film_sites);
}

Index WaveNet::receptive_field() const { return stage_.reach() + dsp_reach() + 1; }

double WaveNet::flops_per_sample() const {
  return stage_.flops() + (config_.wavenet.condition_dsp ? dsp_.flops() : 0);
}

Var WaveNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  if (grad && config_.wavenet.in_channels > 1)
    throw UsageError("training a WaveNet with knob input channels: it runs for inference only (a file read as "
                     "written, docs/model_format.md)");
  if (grad && config_.wavenet.condition_dsp)
    throw UsageError("training a WaveNet with a condition_dsp: it runs for inference only (the condition model's "
                     "weights are not trained parameters)");
  const Var cond = conditioning(t, knob_values, grad);
  // With knob input channels the knobs join the audio as rows 1..n of the input itself.
  if (config_.wavenet.in_channels > 1) x = with_knob_channels(t, x, cond);
  if (const auto& dsp = config_.wavenet.condition_dsp) {
    const Var condition = dsp_.forward(t, ParamBuffers{dsp->weights.data(), nullptr}, x, conditioner(), Var{});
    return stage_.forward(t, param_buffers(grad), crop_last(t, x, t.cols(condition)), conditioner(), cond, condition);
  }
  return stage_.forward(t, param_buffers(grad), x, conditioner(), cond);
}

void WaveNet::prepare_stream(int max_block) {
  stage_.prepare(params_.data(), conditioner(), max_block, state_);
  inputs_.resize(config_.wavenet.in_channels, config_.wavenet.in_channels > 1 ? max_block : 0);
  if (const auto& dsp = config_.wavenet.condition_dsp) {
    dsp_.prepare(dsp->weights.data(), conditioner(), max_block, dsp_state_);
    dsp_out_.resize(dsp->config->layers.back().head_size, max_block);
  }
}

void WaveNet::reset_stream() noexcept {
  stage_.reset(state_);
  if (config_.wavenet.condition_dsp) dsp_.reset(dsp_state_);
}

void WaveNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  if (config_.wavenet.in_channels > 1) {
    stream_input(in, inputs_.leftCols(n));
    in = inputs_.data();
  }
  if (!config_.wavenet.condition_dsp) {
    stage_.process(state_, conditioner(), conditioning_now(), in, out, n);
    return;
  }
  dsp_.process(dsp_state_, conditioner(), conditioning_now(), in, dsp_out_.data(), n);
  stage_.process(state_, conditioner(), conditioning_now(), in, out, n, dsp_out_.data());
}

std::unique_ptr<Model> WaveNet::baked(std::span<const double> knob_values) const {
  if (!has_knobs()) return Model::baked(knob_values);
  if (config_.wavenet.in_channels > 1)
    throw UsageError("bake: this WaveNet reads its knobs as input channels (in_channels " +
                     std::to_string(config_.wavenet.in_channels) +
                     "), which a plain one-input file cannot hold; run it with its knobs instead");
  const Vec cond = conditioning_values(knob_values);
  ModelConfig plain = config_;
  plain.knobs.clear();
  auto out_model = make_model(plain);
  auto& out = static_cast<WaveNet&>(*out_model);
  stage_.bake(params_.data(), conditioner(), cond, out.stage_, out.params_.data());
  return out_model;
}

}  // namespace namk
