// See wavenet.h: the model is one stage; this file connects it to the model's conditioning.
#include "nn/wavenet.h"

namespace namk {

WaveNet::WaveNet(const ModelConfig& config) : Model(config) {
  const Index knob_channels = uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0;
  std::vector<Index> film_sites;
  stage_ = WaveNetStage(layout_, "", "config", config_.wavenet, knob_channels, config_.film.head, film_sites);
  finish_layout(film_sites);
}

Index WaveNet::receptive_field() const { return stage_.reach() + 1; }

double WaveNet::flops_per_sample() const { return stage_.flops(); }

Var WaveNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  const Var cond = conditioning(t, knob_values, grad);
  return stage_.forward(t, param_buffers(grad), x, conditioner(), cond);
}

void WaveNet::prepare_stream(int max_block) { stage_.prepare(params_.data(), conditioner(), max_block, state_); }

void WaveNet::reset_stream() noexcept { stage_.reset(state_); }

void WaveNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  stage_.process(state_, conditioner(), conditioning_now(), in, out, n);
}

std::unique_ptr<Model> WaveNet::baked(std::span<const double> knob_values) const {
  if (!has_knobs()) return Model::baked(knob_values);
  const Vec cond = conditioning_values(knob_values);
  ModelConfig plain = config_;
  plain.knobs.clear();
  auto out_model = make_model(plain);
  auto& out = static_cast<WaveNet&>(*out_model);
  stage_.bake(params_.data(), conditioner(), cond, out.stage_, out.params_.data());
  return out_model;
}

}  // namespace namk
