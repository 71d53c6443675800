// See convnet.h. The layers hold the wiring of forward() and process(); this file checks the
// configs, registers the layers, and places Linear's FiLM.
#include "nn/convnet.h"

#include "base/error.h"

namespace namk {

std::vector<ConvNetBlock> build_convnet_blocks(const ModelConfig& config, Index inputs, ParamLayout& layout) {
  const ConvNetConfig& c = config.convnet;
  if (c.batchnorm)
    throw InputError(describe_error("model config", "config.batchnorm",
                                    "false (ConvNet batchnorm is not supported)", "true"));
  if (c.channels < 1 || c.dilations.empty())
    throw InputError(describe_error("model config", "config", "channels >= 1 and at least one dilation",
                                    "channels " + std::to_string(c.channels) + ", " +
                                        std::to_string(c.dilations.size()) + " dilations"));
  std::vector<ConvNetBlock> blocks;
  for (size_t i = 0; i < c.dilations.size(); ++i) {
    if (c.dilations[i] < 1)
      throw InputError(describe_error("model config", "config.dilations", "dilations >= 1",
                                      std::to_string(c.dilations[i])));
    blocks.emplace_back(layout, "blocks[" + std::to_string(i) + "]", i == 0 ? inputs : c.channels, c.channels,
                        c.dilations[i], c.activation);
  }
  return blocks;
}

Linear::Linear(const ModelConfig& config) : Model(config) {
  if (config_.linear.receptive_field < 1)
    throw InputError(describe_error("model config", "config.receptive_field", "at least 1",
                                    std::to_string(config_.linear.receptive_field)));
  fir_ = Conv1dLayer(layout_, "", {input_channels(), 1, config_.linear.receptive_field, 1, config_.linear.bias, true});
  finish_layout({1});
}

double Linear::flops_per_sample() const { return fir_.flops() + double(film_site(0).outputs()); }

Var Linear::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  const ForwardInput in = forward_input(t, x, knob_values, grad);
  const Var y = fir_.forward(t, in.params, in.x);
  return uses_film() ? film_site(0).apply(t, y, in.cond) : y;
}

void Linear::prepare_stream(int max_block) {
  fir_.prepare(params_.data(), FilmSite{}, state_);
  input_.prepare(fir_.shape().in, fir_.reach(), max_block);
}

void Linear::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  stream_input(in, input_.next(n));
  MatMap y(out, 1, n);
  fir_.process(state_, input_.window(n), y);
  if (uses_film()) film_site(0).apply(conditioning_now(), y);
  input_.advance(n);
}

}  // namespace namk
