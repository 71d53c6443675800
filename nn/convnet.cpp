// See convnet.h. Both models use the same conv1d kernels in forward() and process_block().
#include "nn/convnet.h"

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/ops.h"
#include "nn/nam_weight.h"

namespace namk {

namespace {
constexpr Index kConvNetTaps = 2;  // NAM's ConvNet always uses kernel size 2

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
    Block b;
    b.input = i == 0 ? 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0) : c.channels;
    b.dilation = c.dilations[i];
    if (b.dilation < 1)
      throw InputError(describe_error("model config", "config.dilations", "dilations >= 1",
                                      std::to_string(b.dilation)));
    const std::string name = "blocks[" + std::to_string(i) + "].";
    b.weight = layout_.add(name + "conv.weight", {c.channels, b.input, kConvNetTaps}, b.input * kConvNetTaps);
    b.bias = layout_.add(name + "conv.bias", {c.channels}, b.input * kConvNetTaps);
    blocks_.push_back(b);
    film_sites.push_back(c.channels);
  }
  head_weight_ = layout_.add("head.weight", {1, c.channels}, c.channels);
  head_bias_ = layout_.add("head.bias", {1}, c.channels);
  finish_layout(film_sites);
}

Index ConvNet::receptive_field() const {
  Index r = 1;
  for (const Block& b : blocks_) r += (kConvNetTaps - 1) * b.dilation;
  return r;
}

double ConvNet::flops_per_sample() const {
  const double c = double(config_.convnet.channels);
  double f = 0;
  for (const Block& b : blocks_)
    f += 2 * c * double(b.input * kConvNetTaps) + c + c +
         (uses_film() ? (config_.film.shift ? 2 : 1) * c : 0);
  return f + 2 * c + 1;
}

Var ConvNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  Var cond = conditioning(t, knob_values, grad);
  const Scalar* p = params_.data();
  auto g = [&](Index offset) { return grad ? grad + offset : nullptr; };
  const Index c = config_.convnet.channels;
  Var h = uses_concat() ? with_knob_channels(t, x, cond) : x;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    h = conv1d(t, h, nam_weight(t, p + b.weight, g(b.weight), c, b.input, kConvNetTaps),
               nam_vector(t, p + b.bias, g(b.bias), c), b.dilation);
    if (uses_film()) h = film_site(i).apply(t, h, cond);
    h = activation(t, config_.convnet.activation, h);
  }
  return conv1d(t, h, nam_weight(t, p + head_weight_, g(head_weight_), 1, c, 1),
                nam_vector(t, p + head_bias_, g(head_bias_), 1), 1);
}

void ConvNet::prepare_stream(int max_block) {
  const Scalar* p = params_.data();
  const Index c = config_.convnet.channels;
  streams_.clear();
  for (const Block& b : blocks_) {
    BlockStream s;
    s.weight.resize(c, kConvNetTaps * b.input);
    nam_weight_pack(p + b.weight, b.input, kConvNetTaps, s.weight);
    s.input.prepare(b.input, (kConvNetTaps - 1) * b.dilation, max_block);
    streams_.push_back(std::move(s));
  }
  out_.resize(c, max_block);
  head_weight_packed_.resize(1, c);
  nam_weight_pack(p + head_weight_, c, 1, head_weight_packed_);
}

void ConvNet::reset_stream() noexcept {
  for (BlockStream& s : streams_) s.input.reset();
}

void ConvNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Scalar* p = params_.data();
  const Index c = config_.convnet.channels;
  const Vec& cond = conditioning_now();
  MatMap first = streams_.front().input.next(n);
  first.topRows(1) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, first.bottomRows(cond.size()));
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    BlockStream& s = streams_[i];
    MatMap y = i + 1 < blocks_.size() ? streams_[i + 1].input.next(n) : MatMap(out_.data(), c, n);
    conv1d_forward(s.input.window(n), s.weight, ConstMatMap(p + b.bias, c, 1), b.dilation, y);
    if (uses_film()) film_site(i).apply(cond, y);
    activation_forward(config_.convnet.activation, y, y);
    s.input.advance(n);
  }
  conv1d_forward(ConstMatMap(out_.data(), c, n), head_weight_packed_,
                 ConstMatMap(p + head_bias_, 1, 1), 1, MatMap(out, 1, n));
}

Linear::Linear(const ModelConfig& config) : Model(config) {
  if (config_.linear.receptive_field < 1)
    throw InputError(describe_error("model config", "config.receptive_field", "at least 1",
                                    std::to_string(config_.linear.receptive_field)));
  inputs_ = 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0);
  const Index taps = config_.linear.receptive_field;
  weight_at_ = layout_.add("weight", {1, inputs_, taps}, inputs_ * taps);
  if (config_.linear.bias) bias_ = layout_.add("bias", {1}, inputs_ * taps);
  finish_layout({1});
}

double Linear::flops_per_sample() const {
  return 2 * double(inputs_ * config_.linear.receptive_field) + (config_.linear.bias ? 1 : 0) +
         (uses_film() ? (config_.film.shift ? 2 : 1) : 0);
}

Var Linear::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  Var cond = conditioning(t, knob_values, grad);
  const Scalar* p = params_.data();
  Var in = uses_concat() ? with_knob_channels(t, x, cond) : x;
  Var y = conv1d(t, in, nam_weight(t, p + weight_at_, grad ? grad + weight_at_ : nullptr, 1, inputs_, receptive_field()),
                 bias_ >= 0 ? nam_vector(t, p + bias_, grad ? grad + bias_ : nullptr, 1) : Var{}, 1);
  if (uses_film()) y = film_site(0).apply(t, y, cond);
  return y;
}

void Linear::prepare_stream(int max_block) {
  weight_.resize(1, receptive_field() * inputs_);
  nam_weight_pack(params_.data() + weight_at_, inputs_, receptive_field(), weight_);
  input_.prepare(inputs_, receptive_field() - 1, max_block);
}

void Linear::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Vec& cond = conditioning_now();
  MatMap x = input_.next(n);
  x.topRows(1) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, x.bottomRows(cond.size()));
  MatMap y(out, 1, n);
  conv1d_forward(input_.window(n), weight_,
                 bias_ >= 0 ? ConstMatMap(params_.data() + bias_, 1, 1) : ConstMatMap(nullptr, 0, 0),
                 1, y);
  if (uses_film()) film_site(0).apply(cond, y);
  input_.advance(n);
}

}  // namespace namk
