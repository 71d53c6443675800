// See convnet_block.h.
#include "nn/layers/convnet_block.h"

#include "core/ops.h"

namespace namk {

ConvNetBlock::ConvNetBlock(ParamLayout& layout, const std::string& name, Index input, Index channels,
                           Index dilation, Activation activation)
    : conv_(layout, name + ".conv", {input, channels, kTaps, dilation, true, true}), activation_(activation) {}

Var ConvNetBlock::forward(Tape& t, const ParamBuffers& p, Var x, const FilmSite& film, Var cond) const {
  Var y = conv_.forward(t, p, x);
  if (film.active()) y = film.apply(t, y, cond);
  return activation(t, activation_, y);
}

void ConvNetBlock::prepare(const Scalar* params, Index max_block, State& s) const {
  conv_.prepare(params, FilmSite{}, s.conv);
  s.input.prepare(conv_.shape().in, reach(), max_block);
  s.y.resize(channels(), max_block);
}

ConstMatMap ConvNetBlock::process(const Scalar*, State& s, const FilmSite& film, const Vec& cond,
                                  ConstMatRef x) const noexcept {
  const Index n = x.cols();
  s.input.next(n) = x;
  MatMap y(s.y.data(), channels(), n);
  conv_.process(s.conv, s.input.window(n), y);
  if (film.active()) film.apply(cond, y);
  activation_forward(activation_, y, y);
  s.input.advance(n);
  return ConstMatMap(y.data(), y.rows(), n);
}

}  // namespace namk
