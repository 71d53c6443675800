// See convnet.h. The layers hold the wiring of forward() and process(); this file checks the
// configs, chains the layers, and places FiLM and the knob channels.
#include "nn/convnet.h"

#include "base/error.h"

namespace namk {

namespace {
Index film_channels(const FilmSite& site) { return site.active() ? (site.shift ? 2 : 1) * site.channels : 0; }
}  // namespace

ConvNet::ConvNet(const ModelConfig& config) : Model(config) {
  const ConvNetConfig& c = config_.convnet;
  if (c.batchnorm)
    throw InputError(describe_error("model config", "config.batchnorm",
                                    "false (ConvNet batchnorm is not supported)", "true"));
  if (c.channels < 1 || c.dilations.empty())
    throw InputError(describe_error("model config", "config", "channels >= 1 and at least one dilation",
                                    "channels " + std::to_string(c.channels) + ", " +
                                        std::to_string(c.dilations.size()) + " dilations"));
  std::vector<Index> film_sites;
  for (size_t i = 0; i < c.dilations.size(); ++i) {
    const Index input = i == 0 ? 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0) : c.channels;
    if (c.dilations[i] < 1)
      throw InputError(describe_error("model config", "config.dilations", "dilations >= 1",
                                      std::to_string(c.dilations[i])));
    blocks_.emplace_back(layout_, "blocks[" + std::to_string(i) + "]", input, c.channels, c.dilations[i], c.activation);
    film_sites.push_back(c.channels);
  }
  head_ = Conv1dLayer(layout_, "head", {c.channels, 1, 1, 1, true, false});
  finish_layout(film_sites);
}

Index ConvNet::receptive_field() const {
  Index r = 1;
  for (const ConvNetBlock& b : blocks_) r += b.reach();
  return r;
}

double ConvNet::flops_per_sample() const {
  double f = head_.flops();
  for (size_t i = 0; i < blocks_.size(); ++i) f += blocks_[i].flops() + double(film_channels(film_site(i)));
  return f;
}

Var ConvNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  const Var cond = conditioning(t, knob_values, grad);
  const ParamBuffers p = param_buffers(grad);
  Var h = uses_concat() ? with_knob_channels(t, x, cond) : x;
  for (size_t i = 0; i < blocks_.size(); ++i) h = blocks_[i].forward(t, p, h, film_site(i), cond);
  return head_.forward(t, p, h);
}

void ConvNet::prepare_stream(int max_block) {
  states_.resize(blocks_.size());
  for (size_t i = 0; i < blocks_.size(); ++i) blocks_[i].prepare(params_.data(), max_block, states_[i]);
  head_.prepare(params_.data(), FilmSite{}, head_state_);
  out_.resize(config_.convnet.channels, max_block);
}

void ConvNet::reset_stream() noexcept {
  for (size_t i = 0; i < blocks_.size(); ++i) blocks_[i].reset(states_[i]);
}

void ConvNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Vec& cond = conditioning_now();
  MatMap first = states_.front().input.next(n);
  first.topRows(1) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, first.bottomRows(cond.size()));
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const MatMap y = i + 1 < blocks_.size() ? states_[i + 1].input.next(n) : MatMap(out_.data(), out_.rows(), n);
    blocks_[i].process(states_[i], film_site(i), cond, n, y);
  }
  head_.process(head_state_, ConstMatMap(out_.data(), out_.rows(), n), MatMap(out, 1, n));
}

Linear::Linear(const ModelConfig& config) : Model(config) {
  if (config_.linear.receptive_field < 1)
    throw InputError(describe_error("model config", "config.receptive_field", "at least 1",
                                    std::to_string(config_.linear.receptive_field)));
  const Index inputs = 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0);
  fir_ = Conv1dLayer(layout_, "", {inputs, 1, config_.linear.receptive_field, 1, config_.linear.bias, true});
  finish_layout({1});
}

double Linear::flops_per_sample() const { return fir_.flops() + double(film_channels(film_site(0))); }

Var Linear::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  const Var cond = conditioning(t, knob_values, grad);
  Var y = fir_.forward(t, param_buffers(grad), uses_concat() ? with_knob_channels(t, x, cond) : x);
  if (uses_film()) y = film_site(0).apply(t, y, cond);
  return y;
}

void Linear::prepare_stream(int max_block) {
  fir_.prepare(params_.data(), FilmSite{}, state_);
  input_.prepare(fir_.shape().in, fir_.reach(), max_block);
}

void Linear::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Vec& cond = conditioning_now();
  MatMap x = input_.next(n);
  x.topRows(1) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, x.bottomRows(cond.size()));
  MatMap y(out, 1, n);
  fir_.process(state_, input_.window(n), y);
  if (uses_film()) film_site(0).apply(cond, y);
  input_.advance(n);
}

}  // namespace namk
