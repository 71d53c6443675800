// See lstm.h. The layers hold the wiring of forward() and process(); this file checks the config,
// stacks them, and places FiLM and the knob channels.
#include "nn/lstm.h"

#include "base/error.h"

namespace namk {

Lstm::Lstm(const ModelConfig& config) : Model(config) {
  const LstmConfig& c = config_.lstm;
  if (c.input_size != 1)
    throw InputError(describe_error("model config", "config.input_size", "1 (the audio)",
                                    std::to_string(c.input_size)));
  if (c.hidden_size < 1 || c.num_layers < 1)
    throw InputError(describe_error("model config", "config.hidden_size, config.num_layers",
                                    "at least 1", std::to_string(std::min(c.hidden_size, c.num_layers))));
  const Index h = c.hidden_size;
  std::vector<Index> film_sites;
  for (Index l = 0; l < c.num_layers; ++l) {
    const Index input = l == 0 ? 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0) : h;
    layers_.emplace_back(layout_, "lstm[" + std::to_string(l) + "]", input, h);
    film_sites.push_back(h);
  }
  head_ = Conv1dLayer(layout_, "head", {h, 1, 1, 1, true, false});
  finish_layout(film_sites);
}

double Lstm::flops_per_sample() const {
  double f = head_.flops();
  for (const LstmLayer& l : layers_) f += l.flops() + (uses_film() ? (config_.film.shift ? 2 : 1) * double(l.hidden()) : 0);
  return f;
}

Var Lstm::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  const Var cond = conditioning(t, knob_values, grad);
  const ParamBuffers p = param_buffers(grad);
  Var in = uses_concat() ? with_knob_channels(t, x, cond) : x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    in = layers_[i].forward(t, p, in);
    if (uses_film()) in = film_site(i).apply(t, in, cond);
  }
  return head_.forward(t, p, in);
}

void Lstm::prepare_stream(int max_block) {
  states_.resize(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].prepare(params_.data(), max_block, states_[i]);
  head_.prepare(params_.data(), FilmSite{}, head_state_);
  input_.resize(layers_.front().input(), max_block);
}

void Lstm::reset_stream() noexcept {
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].reset(params_.data(), states_[i]);
}

void Lstm::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Vec& cond = conditioning_now();
  input_.topLeftCorner(1, n) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, input_.block(1, 0, cond.size(), n));
  const Scalar* x = input_.data();  // each layer's input: (rows, n)
  Index rows = input_.rows();
  for (size_t i = 0; i < layers_.size(); ++i) {
    const MatMap y = layers_[i].process(params_.data(), states_[i], ConstMatMap(x, rows, n));
    if (uses_film()) film_site(i).apply(cond, y);
    x = y.data();
    rows = y.rows();
  }
  head_.process(head_state_, ConstMatMap(x, rows, n), MatMap(out, 1, n));
}

}  // namespace namk
