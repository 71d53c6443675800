// One LSTM layer as NAM stores it: weight (4H, I+H) = [W_ih | W_hh] row-major, bias (4H), then the
// learned initial hidden and cell state (H each), registered in that order so the three vectors are
// the one (6H) state the fused op reads (nn/layers/lstm_op.h). Gates in PyTorch's order (i, f, g, o).
// With knobs, FiLM modulates the layer's output sequence (after the recurrence, so the state stays
// NAM's). forward() builds the training graph; process() runs the same kernel on a State the model
// owns, carrying h and c from block to block.
#pragma once

#include <string>

#include "core/tape.h"
#include "nn/layers/film.h"
#include "nn/layers/param_buffers.h"
#include "nn/param_layout.h"

namespace namk {

class LstmLayer {
 public:
  LstmLayer() = default;
  // Registers name.weight, name.bias, name.initial_hidden, name.initial_cell; weight and bias start
  // as PyTorch's (uniform +-1/sqrt(H)), the initial state at zero.
  LstmLayer(ParamLayout& layout, const std::string& name, Index input, Index hidden);

  Index input() const { return input_; }
  Index channels() const { return hidden_; }  // of the output
  Index reach() const { return 0; }
  // Per output sample: gates (multiply-adds and bias), nonlinearities, cell update, tanh(c) * o.
  // FiLM is counted by the model.
  double flops() const;

  // x: (I, T) -> (H, T), starting from the learned initial state; FiLM at film (from cond) after.
  Var forward(Tape& t, const ParamBuffers& p, Var x, const FilmSite& film, Var cond) const;

  struct State {
    Mat weight;           // packed (4H, I+H)
    Vec h, c;             // carried from the last block
    Mat y, gates, cells;  // (H, max_block), (4H, max_block), (H, max_block)
  };
  void prepare(const Scalar* params, Index max_block, State& s) const;
  // Back to the learned initial state.
  void reset(const Scalar* params, State& s) const noexcept;
  // x: (I, n) -> the returned (H, n) view of s.y, valid until the next call.
  ConstMatMap process(const Scalar* params, State& s, const FilmSite& film, const Vec& cond, ConstMatRef x) const noexcept;

 private:
  Index input_ = 1, hidden_ = 1;
  Index weight_ = 0, bias_ = 0, initial_hidden_ = 0, initial_cell_ = 0;  // offsets of the views
};

}  // namespace namk
