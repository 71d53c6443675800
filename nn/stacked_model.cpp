// See stacked_model.h. Instantiated for the two blocks there are.
#include "nn/stacked_model.h"

#include <algorithm>

#include "core/kernels/planes_transpose.h"
#include "nn/layers/convnet_block.h"
#include "nn/layers/lstm_layer.h"

namespace namk {

template <class Block>
StackedModel<Block>::StackedModel(const ModelConfig& config, BuildBlocks build) : Model(config) {
  blocks_ = build(config_, input_channels(), layout_);
  std::vector<Index> film_sites;
  for (const Block& b : blocks_) film_sites.push_back(b.channels());
  head_ = Conv1dLayer(layout_, "head", {blocks_.back().channels(), 1, 1, 1, true, false});
  finish_layout(film_sites);
}

template <class Block>
Index StackedModel<Block>::receptive_field() const {
  Index r = 1;
  for (const Block& b : blocks_) r += b.reach();
  return r;
}

template <class Block>
double StackedModel<Block>::flops_per_sample() const {
  double f = head_.flops();
  for (size_t i = 0; i < blocks_.size(); ++i) f += blocks_[i].flops() + double(film_site(i).outputs());
  return f;
}

template <class Block>
Var StackedModel<Block>::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  const ForwardInput in = forward_input(t, x, knob_values, grad);
  Var h = in.x;
  for (size_t i = 0; i < blocks_.size(); ++i) h = blocks_[i].forward(t, in.params, h, film_site(i), in.cond);
  return head_.forward(t, in.params, h);
}

template <class Block>
void StackedModel<Block>::prepare_stream(int max_block) {
  states_.resize(blocks_.size());
  for (size_t i = 0; i < blocks_.size(); ++i) blocks_[i].prepare(params_.data(), max_block, states_[i]);
  head_.prepare(params_.data(), FilmSite{}, head_state_);
  input_.resize(input_channels(), max_block);
  const Conv1dShape& h = head_.shape();
  planar_head_ = kPlanarStreaming && h.kernel_size == 1 && h.out == 1 && h.in <= 16 && conv_planar_applies(h.in, 1, 1);
  if (planar_head_) {
    // Whole vectors and the padding the planar kernels may run into (residual_layer_planar.h).
    const Index length = (max_block + kPlanarPad - 1) / kPlanarPad * kPlanarPad + kPlanarPad;
    head_planes_.setZero(length, h.in);
    head_plane_out_.setZero(length, 1);
  }
}

template <class Block>
void StackedModel<Block>::reset_stream() noexcept {
  for (size_t i = 0; i < blocks_.size(); ++i) blocks_[i].reset(params_.data(), states_[i]);
}

template <class Block>
void StackedModel<Block>::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  stream_input(in, input_.leftCols(n));
  const Scalar* x = input_.data();  // each block's input: (rows, n)
  Index rows = input_.rows();
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const ConstMatMap y =
        blocks_[i].process(params_.data(), states_[i], film_site(i), conditioning_now(), ConstMatMap(x, rows, n));
    x = y.data();
    rows = y.rows();
  }
  if (!planar_head_) return head_.process(head_state_, ConstMatMap(x, rows, n), MatMap(out, 1, n));
  const Planes planes{head_planes_.data(), head_planes_.rows()};
  columns_to_planes(x, rows, rows, planes, n);
  // The kernel writes whole vectors: straight into out when n is a whole number of them.
  const bool whole = n % kPlanarPad == 0;
  Scalar* y = whole ? out : head_plane_out_.data();
  conv_planar(head_.planar(head_state_), planes, Planes{y, head_plane_out_.rows()}, n);
  if (!whole) std::copy_n(y, n, out);
}

template class StackedModel<LstmLayer>;
template class StackedModel<ConvNetBlock>;

}  // namespace namk
