// See lstm.h. forward() and process_block() both run the fused lstm kernels on the same weights.
#include "nn/lstm.h"

#include <new>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/ops.h"
#include "nn/layers/lstm_op.h"
#include "nn/nam_weight.h"

namespace namk {

Lstm::Lstm(const ModelConfig& config) : Model(config) {
  const LstmConfig& c = config_.lstm;
  if (c.input_size != 1)
    throw InputError(describe_error("model config", "config.input_size", "1 (the audio)",
                                    std::to_string(c.input_size)));
  if (c.hidden_size < 1 || c.num_layers < 1)
    throw InputError(describe_error("model config", "config.hidden_size, config.num_layers",
                                    "at least 1", std::to_string(std::min(c.hidden_size, c.num_layers))));
  hidden_ = c.hidden_size;
  const Index h = hidden_;
  std::vector<Index> film_sites;
  for (Index l = 0; l < c.num_layers; ++l) {
    Layer layer;
    layer.input = l == 0 ? 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0) : h;
    // PyTorch's LSTM init: uniform +-1/sqrt(H) for weights and the combined bias; zero initial state.
    const std::string name = "lstm[" + std::to_string(l) + "].";
    layer.weight = layout_.add(name + "weight", {4 * h, layer.input + h}, h);
    layer.state = layout_.add(name + "bias", {4 * h}, h);  // the initial state follows: 6H in all
    layout_.add(name + "initial_hidden", {h}, 0);
    layout_.add(name + "initial_cell", {h}, 0);
    layers_.push_back(layer);
    film_sites.push_back(h);
  }
  head_weight_ = layout_.add("head.weight", {1, h}, h);
  head_bias_ = layout_.add("head.bias", {1}, h);
  finish_layout(film_sites);
}

double Lstm::flops_per_sample() const {
  const double h = double(hidden_);
  double f = 0;
  for (const Layer& l : layers_)
    f += 2 * 4 * h * double(l.input + h) + 4 * h  // gates + bias
         + 4 * h                                    // nonlinearities
         + 3 * h + 2 * h                            // cell update, tanh(c) * o
         + (uses_film() ? (config_.film.shift ? 2 : 1) * h : 0);
  return f + 2 * h + 1;
}

Var Lstm::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  Var cond = conditioning(t, knob_values, grad);
  const Scalar* p = params_.data();
  auto g = [&](Index offset) { return grad ? grad + offset : nullptr; };
  const Index h = hidden_;
  Var in = uses_concat() ? with_knob_channels(t, x, cond) : x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& l = layers_[i];
    in = lstm(t, in, nam_weight(t, p + l.weight, g(l.weight), 4 * h, l.input + h, 1),
              nam_vector(t, p + l.state, g(l.state), 6 * h));
    if (uses_film()) in = film_site(i).apply(t, in, cond);
  }
  return conv1d(t, in, nam_weight(t, p + head_weight_, g(head_weight_), 1, h, 1),
                nam_vector(t, p + head_bias_, g(head_bias_), 1), 1);
}

void Lstm::prepare_stream(int max_block) {
  const Scalar* p = params_.data();
  const Index h = hidden_;
  streams_.clear();
  for (const Layer& l : layers_) {
    LayerStream s;
    s.weight.resize(4 * h, l.input + h);
    nam_weight_pack(p + l.weight, l.input + h, 1, s.weight);
    s.h.resize(h);
    s.c.resize(h);
    s.y.resize(h, max_block);
    s.gates.resize(4 * h, max_block);
    s.cells.resize(h, max_block);
    streams_.push_back(std::move(s));
  }
  input_.resize(layers_.front().input, max_block);
  head_weight_packed_.resize(1, h);
  nam_weight_pack(p + head_weight_, h, 1, head_weight_packed_);
}

void Lstm::reset_stream() noexcept {
  const Index h = hidden_;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Scalar* state = params_.data() + layers_[i].state;
    streams_[i].h = Eigen::Map<const Vec>(state + 4 * h, h);
    streams_[i].c = Eigen::Map<const Vec>(state + 5 * h, h);
  }
}

void Lstm::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Scalar* p = params_.data();
  const Index h = hidden_;
  const Vec& cond = conditioning_now();
  input_.topLeftCorner(1, n) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, input_.block(1, 0, cond.size(), n));
  ConstMatMap x(input_.data(), input_.rows(), n);
  for (size_t i = 0; i < layers_.size(); ++i) {
    LayerStream& s = streams_[i];
    MatMap y(s.y.data(), h, n);
    lstm_forward(x, s.weight, ConstMatMap(p + layers_[i].state, 4 * h, 1),
                 ConstMatMap(s.h.data(), h, 1), ConstMatMap(s.c.data(), h, 1), y,
                 MatMap(s.gates.data(), 4 * h, n), MatMap(s.cells.data(), h, n));
    s.h = s.y.col(n - 1);
    s.c = s.cells.col(n - 1);
    if (uses_film()) film_site(i).apply(cond, y);
    new (&x) ConstMatMap(s.y.data(), h, n);
  }
  conv1d_forward(x, head_weight_packed_, ConstMatMap(p + head_bias_, 1, 1), 1, MatMap(out, 1, n));
}

}  // namespace namk
