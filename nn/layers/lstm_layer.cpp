// See lstm_layer.h.
#include "nn/layers/lstm_layer.h"

#include "nn/layers/lstm_op.h"

namespace namk {

LstmLayer::LstmLayer(ParamLayout& layout, const std::string& name, Index input, Index hidden)
    : input_(input), hidden_(hidden) {
  const Index h = hidden;
  weight_ = layout.add(name + ".weight", {4 * h, input + h}, h);
  bias_ = layout.add(name + ".bias", {4 * h}, h);
  initial_hidden_ = layout.add(name + ".initial_hidden", {h}, 0);
  initial_cell_ = layout.add(name + ".initial_cell", {h}, 0);
}

double LstmLayer::flops() const {
  const double h = double(hidden_);
  return 2 * 4 * h * double(input_ + hidden_) + 4 * h  // gates + bias
         + 4 * h                                      // nonlinearities
         + 3 * h + 2 * h;                             // cell update, tanh(c) * o
}

Var LstmLayer::forward(Tape& t, const ParamBuffers& p, Var x, const FilmSite& film, Var cond) const {
  // bias, initial_hidden and initial_cell were registered one after the other: one (6H) vector.
  const Var y = lstm(t, x, p.weight(t, weight_, 4 * hidden_, input_ + hidden_, 1), p.vector(t, bias_, 6 * hidden_));
  return film.active() ? film.apply(t, y, cond) : y;
}

void LstmLayer::prepare(const Scalar* params, Index max_block, State& s) const {
  const Index h = hidden_;
  s.weight.resize(4 * h, input_ + h);
  nam_weight_pack(params + weight_, input_ + h, 1, s.weight);
  s.h.resize(h);
  s.c.resize(h);
  s.y.resize(h, max_block);
  s.gates.resize(4 * h, max_block);
  s.cells.resize(h, max_block);
}

void LstmLayer::reset(const Scalar* params, State& s) const noexcept {
  s.h = Eigen::Map<const Vec>(params + initial_hidden_, hidden_);
  s.c = Eigen::Map<const Vec>(params + initial_cell_, hidden_);
}

ConstMatMap LstmLayer::process(const Scalar* params, State& s, const FilmSite& film, const Vec& cond,
                               ConstMatRef x) const noexcept {
  const Index h = hidden_, n = x.cols();
  MatMap y(s.y.data(), h, n);
  lstm_forward(x, s.weight, ConstMatMap(params + bias_, 4 * h, 1), ConstMatMap(s.h.data(), h, 1),
               ConstMatMap(s.c.data(), h, 1), y, MatMap(s.gates.data(), 4 * h, n), MatMap(s.cells.data(), h, n));
  s.h = s.y.col(n - 1);
  s.c = s.cells.col(n - 1);
  if (film.active()) film.apply(cond, y);
  return ConstMatMap(y.data(), h, n);
}

}  // namespace namk
