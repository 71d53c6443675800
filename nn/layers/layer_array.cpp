// See layer_array.h.
#include "nn/layers/layer_array.h"

#include <algorithm>

#include "base/error.h"
#include "core/kernels/planes_transpose.h"
#include "core/ops.h"

namespace namk {

LayerArray::LayerArray(ParamLayout& layout, const std::string& name, const LayerArrayConfig& config,
                       Index condition_channels, bool film_head, std::vector<Index>& film_sites)
    : config_(config), condition_channels_(condition_channels), film_head_(film_head) {
  const Index c = config.channels;
  rechannel_ = Conv1dLayer(layout, name + "rechannel", {config.input_size, c});
  for (size_t i = 0; i < config.dilations.size(); ++i) {
    const std::string layer = name + "layer[" + std::to_string(i) + "].";
    if (config.general) {
      general_.emplace_back(layout, layer, config, i);
      continue;
    }
    layers_.emplace_back(layout, layer,
                         ResidualLayerConfig{c, condition_channels, config.layer_kernel_size(i), config.dilations[i],
                                             config.layer_activation(i), config.layer_gated(i)},
                         film_sites);
  }
  // NAM 0.7's array head may look back (A2: 16 taps); NAM names its weight (out, in, K) then.
  const Index head_k = config.head_kernel_size;
  head_rechannel_ =
      Conv1dLayer(layout, name + "head_rechannel",
                  {config.head_input(), config.head_size, head_k, 1, config.head_bias, head_k > 1});
  if (film_head) {
    head_film_site_ = film_sites.size();
    film_sites.push_back(config.head_size);
  }
  planar_ = !layers_.empty() &&
             std::all_of(layers_.begin(), layers_.end(), [](const ResidualLayer& l) { return l.planar(); });
  planar_rechannel_ = planar_ && conv_planar_applies(config.input_size, c, rechannel_.shape().kernel_size);
  planar_head_ = planar_ && conv_planar_applies(c, config.head_size, head_k);
}

Index LayerArray::z_channels() const {
  Index z = 0;
  for (const ResidualLayer& l : layers_) z = std::max(z, l.z_channels());
  return z;
}

Index LayerArray::reach() const {
  Index r = head_rechannel_.reach();
  for (const ResidualLayer& l : layers_) r += l.reach();
  for (const GeneralResidualLayer& l : general_) r += l.reach();
  return r;
}

double LayerArray::flops() const {
  double f = rechannel_.flops() + head_rechannel_.flops();
  for (const ResidualLayer& l : layers_) f += l.flops();
  for (const GeneralResidualLayer& l : general_) f += l.flops();
  return f;
}

FilmSite LayerArray::head_film(const KnobConditioner& knobs) const {
  return film_head_ ? knobs.site(head_film_site_) : FilmSite{};
}

ResidualLayerResult LayerArray::forward(Tape& t, const ParamBuffers& p, Var x, Var condition, Var head,
                                        const KnobConditioner& knobs, Var cond) const {
  Var h = rechannel_.forward(t, p, x);
  if (!general_.empty() && !p.grad) {
    // Without gradients, the values streaming computes, to the bit; with them, tape ops.
    const ResidualLayerResult r = forward_general(t, p, h, condition, head);
    h = r.h;
    head = r.head;
  } else {
    for (const GeneralResidualLayer& l : general_) {
      const ResidualLayerResult r = l.forward(t, p, h, condition, head);
      h = r.h;
      head = r.head;
    }
  }
  // Each layer's skip sum is read by the next layer only: every layer after the first accumulates
  // into the sum the first one started (HeadUse::Consume). The first keeps its head input, which
  // belongs to the caller (the previous array's head output).
  for (size_t i = 0; i < layers_.size(); ++i) {
    const ResidualLayer& l = layers_[i];
    const ResidualLayerResult r = l.forward(t, p, h, condition, head, knobs.site(l.film_site()), cond,
                                            i > 0 ? HeadUse::Consume : HeadUse::Keep);
    h = r.h;
    head = r.head;
  }
  const Var head_out = head_rechannel_.forward(t, p, head, head_film(knobs), cond);
  // A head that looks back returns fewer columns than h has: the next array's layers must line
  // up with it, so h keeps only the columns the head produced.
  if (head_rechannel_.reach() > 0) h = crop_last(t, h, t.cols(head_out));
  return {h, head_out};
}

ResidualLayerResult LayerArray::forward_general(Tape& t, const ParamBuffers& p, Var h, Var condition, Var head) const {
  Index n = t.cols(h);
  for (const GeneralResidualLayer& l : general_) n -= l.reach();
  const Index rows = config_.head_input();
  Mat h_in = t.value(h), head_sum(rows, n);
  if (head.valid())
    head_sum = t.value(head).rightCols(n);
  else
    head_sum.setZero();
  for (const GeneralResidualLayer& l : general_) {
    // Each layer's head term starts from zero and joins the sum on the columns the array outputs,
    // the same additions streaming makes.
    const Index m = h_in.cols() - l.reach();
    Mat h_next(config_.channels, m), term = Mat::Zero(rows, m);
    l.run(p.values, h_in, t.value(condition), h_next, term);
    head_sum += term.rightCols(n);
    h_in = std::move(h_next);
  }
  const Var h_out = t.output(config_.channels, n, false), head_out = t.output(rows, n, false);
  t.value(h_out) = h_in;
  t.value(head_out) = head_sum;
  return {h_out, head_out};
}

void LayerArray::prepare(const Scalar* params, const KnobConditioner& knobs, int max_block, State& s) const {
  rechannel_.prepare(params, {}, s.rechannel);
  head_rechannel_.prepare(params, head_film(knobs), s.head_rechannel);
  s.layers.resize(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i].prepare(params, knobs.site(layers_[i].film_site()), max_block, s.layers[i]);
  s.general.resize(general_.size());
  for (size_t i = 0; i < general_.size(); ++i) general_[i].prepare(params, max_block, s.general[i]);
  if (head_rechannel_.reach() > 0 && !planar_head_)
    s.head_history.prepare(config_.head_input(), head_rechannel_.reach(), max_block);
  else
    s.head.resize(config_.head_input(), max_block);
  s.head_out.resize(config_.head_size, max_block);
  s.out.resize(config_.channels, max_block);
  if (planar_) {
    s.planar_inputs.resize(layers_.size());
    for (size_t i = 0; i < layers_.size(); ++i) {
      s.planar_inputs[i].prepare(config_.channels, layers_[i].reach(), max_block);
      s.layers[i].input = History();  // the column history the planes replace (A2-lite: 170 KiB)
    }
    // Zeros: the kernel's last vector reads past the block, and those lanes are thrown away, but
    // they had better be ordinary numbers.
    s.planar_condition.setZero(max_block + kPlanarPad, condition_channels_);
    s.planar_head.setZero(max_block + kPlanarPad, config_.channels);
    s.planar_out.setZero(max_block + kPlanarPad, config_.channels);
    if (planar_rechannel_) s.planar_x.setZero(max_block + kPlanarPad, config_.input_size);
    if (planar_head_) s.planar_head_out.setZero(max_block + kPlanarPad, config_.head_size);
    // A head that looks back reads the sum's history: the layers add into its planes.
    if (planar_head_ && head_rechannel_.reach() > 0)
      s.planar_head_history.prepare(config_.channels, head_rechannel_.reach(), max_block);
  }
}

void LayerArray::reset(State& s) const noexcept {
  for (ResidualLayer::State& l : s.layers) l.input.reset();
  for (GeneralResidualLayer::State& l : s.general) l.input.reset();
  if (head_rechannel_.reach() > 0) s.head_history.reset();
  for (PlanarHistory& h : s.planar_inputs) h.reset();
  s.planar_head_history.reset();
}

void LayerArray::fold_film(const KnobConditioner& knobs, const Vec& cond, State& s) const noexcept {
  for (size_t i = 0; i < layers_.size(); ++i) layers_[i].fold_film(knobs.site(layers_[i].film_site()), cond, s.layers[i]);
  if (film_head_) head_rechannel_.fold_film(head_film(knobs), cond, s.head_rechannel);
}

void LayerArray::process(State& s, const ConstMatRef& x, const ConstMatRef& condition, const ConstMatRef& head_in,
                         ResidualLayer::Scratch& scratch, Index n) const noexcept {
  if (!general_.empty()) {
    process_general(s, x, condition, head_in, n);
    return;
  }
  if (planar_) {
    process_planar(s, x, condition, head_in, n);
    return;
  }
  const Index c = config_.channels;
  rechannel_.process(s.rechannel, x, s.layers.front().input.next(n));
  // A head that looks back keeps its input's history; a 1x1 head (0.5 files) reads s.head.
  const bool head_history = head_rechannel_.reach() > 0;
  MatMap head = head_history ? s.head_history.next(n) : MatMap(s.head.data(), c, n);
  for (size_t i = 0; i < layers_.size(); ++i) {
    // The residual goes straight into the next layer's history (or the array's output).
    MatMap h_next = i + 1 < layers_.size() ? s.layers[i + 1].input.next(n) : MatMap(s.out.data(), c, n);
    // The first layer's skip input is the previous array's head (none for the first array).
    layers_[i].process(s.layers[i], condition, i == 0 ? ConstMatView(head_in) : ConstMatView(head), head, h_next,
                       scratch, n);
  }
  process_head(s, head, n);
}

namespace {
// Between columns (rows = channels) and planes, once per block for the whole array
// (core/kernels/planes_transpose.h).
template <typename M>
void to_planes(const M& m, Planes p, Index n) noexcept {
  columns_to_planes(m.data(), m.outerStride(), m.rows(), p, n);
}
// m: (C, n) with C <= kPlanarMaxColumnChannels, the array's channels (planar_ holds).
void from_planes(ConstPlanes p, MatMap m) noexcept {
  planes_to_columns(p, m.rows(), m.data(), m.outerStride(), m.cols());
}
Planes planes_of(Mat& m) { return {m.data(), m.rows()}; }
}  // namespace

void LayerArray::process_planar(State& s, const ConstMatRef& x, const ConstMatRef& condition,
                                const ConstMatRef& head_in, Index n) const noexcept {
  const Index c = config_.channels;
  const Planes first = s.planar_inputs.front().next(n);
  if (planar_rechannel_) {
    const Planes x_planes = planes_of(s.planar_x);
    to_planes(x, x_planes, n);
    conv_planar(rechannel_.planar(s.rechannel), x_planes, first, n);
  } else {
    // The rechannel writes columns into s.out, free until the last layer's output comes back.
    MatMap first_columns(s.out.data(), c, n);
    rechannel_.process(s.rechannel, x, first_columns);
    to_planes(first_columns, first, n);
  }
  const bool head_history = planar_head_ && head_rechannel_.reach() > 0;
  const Planes cond = planes_of(s.planar_condition), out = planes_of(s.planar_out),
               head = head_history ? s.planar_head_history.next(n) : planes_of(s.planar_head);
  to_planes(condition.topRows(condition_channels_), cond, n);  // the mixer's rows, as planar_condition's
  if (head_in.size() > 0) to_planes(head_in, head, n);
  // The vectors' sizes and data read once: the kernel calls in between could, for all the compiler
  // knows, change them.
  const size_t layers = s.layers.size();
  PlanarHistory* inputs = s.planar_inputs.data();
  const ResidualLayer::State* states = s.layers.data();
  for (size_t i = 0; i < layers; ++i) {
    const Planes next = i + 1 < layers ? inputs[i + 1].next(n) : out;
    // The first layer's skip input is the previous array's head (none for the first array).
    const PlanarBlock block{inputs[i].window(), cond, head, next, n, i > 0 || head_in.size() > 0};
    ResidualLayer::process_planar(states[i], block);
    inputs[i].advance(n);
  }
  from_planes(out, MatMap(s.out.data(), c, n));
  if (planar_head_) {
    const Planes head_out = planes_of(s.planar_head_out);
    conv_planar(head_rechannel_.planar(s.head_rechannel), head_history ? s.planar_head_history.window() : head,
                head_out, n);
    if (head_history) s.planar_head_history.advance(n);
    from_planes(head_out, MatMap(s.head_out.data(), config_.head_size, n));
    return;
  }
  MatMap head_columns = head_rechannel_.reach() > 0 ? s.head_history.next(n) : MatMap(s.head.data(), c, n);
  from_planes(head, head_columns);
  process_head(s, head_columns, n);
}

void LayerArray::process_general(State& s, ConstMatRef x, ConstMatRef condition, ConstMatRef head_in,
                                 Index n) const noexcept {
  MatMap h(s.out.data(), config_.channels, n);
  rechannel_.process(s.rechannel, x, h);
  const bool head_history = head_rechannel_.reach() > 0;
  MatMap head = head_history ? s.head_history.next(n) : MatMap(s.head.data(), config_.head_input(), n);
  if (head_in.size() > 0)
    head = head_in;
  else
    head.setZero();
  for (size_t i = 0; i < general_.size(); ++i) general_[i].process(s.general[i], condition, h, head, n);
  process_head(s, head, n);
}

void LayerArray::process_head(State& s, ConstMatRef head, Index n) const noexcept {
  MatMap head_out(s.head_out.data(), config_.head_size, n);
  if (head_rechannel_.reach() > 0) {
    head_rechannel_.process(s.head_rechannel, s.head_history.window(n), head_out);
    s.head_history.advance(n);
  } else {
    head_rechannel_.process(s.head_rechannel, head, head_out);
  }
}

void LayerArray::bake(const Scalar* src, const KnobConditioner& knobs, const Vec& cond, const LayerArray& to,
                      Scalar* dst) const {
  if (head_film(knobs).active() && head_film(knobs).shift && !config_.head_bias)
    throw UsageError("cannot bake: FiLM shifts the head of a layer array without head_bias, "
                     "and NAM's head has no other place for that constant");
  if (!general_.empty()) throw UsageError("cannot bake knobs into an array with NAM 0.6 layer options");
  rechannel_.bake(src, {}, cond, to.rechannel_, dst);
  for (size_t i = 0; i < layers_.size(); ++i)
    layers_[i].bake(src, knobs.site(layers_[i].film_site()), cond, to.layers_[i], dst);
  head_rechannel_.bake(src, head_film(knobs), cond, to.head_rechannel_, dst);
}

}  // namespace namk
