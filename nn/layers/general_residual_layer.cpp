// See general_residual_layer.h. Products and sums are written per element, with std::fma where a
// product meets a sum, so the compiler's contraction choices cannot make a column's value depend on
// where it falls in a block; convs take the small-channel kernel (bit-identical at any length) and
// otherwise the naive loops, for the same reason.
#include "nn/layers/general_residual_layer.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/ops.h"

namespace namk {

namespace {

// y = f(x, channel) elementwise; x and y: (rows, n).
template <class F>
void each(ConstMatRef x, MatRef y, F f) noexcept {
  for (Index t = 0; t < x.cols(); ++t)
    for (Index c = 0; c < x.rows(); ++c) y(c, t) = f(x(c, t), c);
}

// NAM's activation a over a block whose rows are its channels (PReLU's slope index). The kind is
// chosen once per block, so each loop is one tight pass.
void activate(const LayerActivation& a, ConstMatRef x, MatRef y) noexcept {
  using K = LayerActivation::Kind;
  const Scalar slope = a.slopes.front(), lo = a.min_val, hi = a.max_val, lo_slope = a.min_slope,
               hi_slope = a.max_slope;
  switch (a.kind) {
    case K::Tanh: return each(x, y, [](Scalar v, Index) { return std::tanh(v); });
    case K::Hardtanh: return each(x, y, [](Scalar v, Index) { return std::clamp(v, Scalar(-1), Scalar(1)); });
    case K::ReLU: return each(x, y, [](Scalar v, Index) { return v > 0 ? v : Scalar(0); });
    case K::LeakyReLU: return each(x, y, [&](Scalar v, Index) { return v > 0 ? v : slope * v; });
    case K::PReLU:
      if (a.slopes.size() == 1) return each(x, y, [&](Scalar v, Index) { return v > 0 ? v : slope * v; });
      return each(x, y, [&](Scalar v, Index c) { return v > 0 ? v : a.slopes[static_cast<size_t>(c)] * v; });
    case K::Sigmoid: return each(x, y, [](Scalar v, Index) { return Scalar(1) / (Scalar(1) + std::exp(-v)); });
    case K::SiLU: return each(x, y, [](Scalar v, Index) { return v / (Scalar(1) + std::exp(-v)); });
    case K::Hardswish:
      return each(x, y, [](Scalar v, Index) { return v * std::clamp(v + Scalar(3), Scalar(0), Scalar(6)) / Scalar(6); });
    case K::LeakyHardtanh:
      return each(x, y, [&](Scalar v, Index) {
        if (v < lo) return std::fma(v - lo, lo_slope, lo);
        if (v > hi) return std::fma(v - hi, hi_slope, hi);
        return v;
      });
    case K::Softsign: return each(x, y, [](Scalar v, Index) { return v / (Scalar(1) + std::abs(v)); });
  }
}

// Training: the activation from tape ops. Those without an op of their own are built from ReLU
// and Hardtanh: a leaky slope s is relu(x) - s relu(-x); Hardswish is x (hardtanh(x/3) + 1) / 2;
// LeakyHardtanh is the clamp to [lo, hi] plus the two slopes' ramps outside it.
Var activate(Tape& t, const LayerActivation& a, Var x) {
  using K = LayerActivation::Kind;
  const Index rows = t.rows(x);
  const auto column = [&](Scalar v) { return t.constant(Mat::Constant(rows, 1, v)); };
  const auto leaky = [&](Var slopes_negated) {  // slopes_negated: (rows, 1)
    return add(t, relu(t, x), film(t, relu(t, scale(t, x, -1)), slopes_negated, Var{}));
  };
  switch (a.kind) {
    case K::Tanh: return tanh(t, x);
    case K::Hardtanh: return activation(t, Activation::Hardtanh, x);
    case K::ReLU: return relu(t, x);
    case K::Sigmoid: return sigmoid(t, x);
    case K::SiLU: return activation(t, Activation::SiLU, x);
    case K::Softsign: return activation(t, Activation::Softsign, x);
    case K::LeakyReLU: return leaky(column(-a.slopes.front()));
    case K::PReLU: {
      Mat slopes(rows, 1);
      for (Index c = 0; c < rows; ++c) slopes(c, 0) = -a.slopes[a.slopes.size() == 1 ? 0 : static_cast<size_t>(c)];
      return leaky(t.constant(slopes));
    }
    case K::Hardswish: {
      const Var gate = add(t, activation(t, Activation::Hardtanh, scale(t, x, Scalar(1) / 3)), column(1));
      return scale(t, mul(t, x, gate), Scalar(0.5));
    }
    case K::LeakyHardtanh: {
      if (!(a.max_val > a.min_val)) throw UsageError("training LeakyHardtanh needs max_val above min_val");
      const Scalar mid = (a.min_val + a.max_val) / 2, half = (a.max_val - a.min_val) / 2;
      const Var clamped = add(
          t, scale(t, activation(t, Activation::Hardtanh, scale(t, add(t, x, column(-mid)), 1 / half)), half), column(mid));
      const Var below = scale(t, relu(t, scale(t, add(t, x, column(-a.min_val)), -1)), -a.min_slope);
      const Var above = scale(t, relu(t, add(t, x, column(-a.max_val))), a.max_slope);
      return add(t, add(t, clamped, below), above);
    }
  }
  return x;
}

MatMap columns(Mat& m, Index rows, Index n) { return MatMap(m.data(), rows, n); }

}  // namespace

GroupedConv::GroupedConv(ParamLayout& layout, const std::string& name, const Conv1dShape& full, Index groups)
    : groups_(groups) {
  Conv1dShape per_group = full;
  per_group.in = full.in / groups;
  conv_ = Conv1dLayer(layout, name, per_group);
}

void GroupedConv::pack(const Scalar* params, Packed& p) const {
  Conv1dLayer::State s;
  conv_.prepare(params, {}, s);
  p.weight = std::move(s.weight);
  p.bias = std::move(s.bias);
}

void GroupedConv::apply(const Packed& p, ConstMatRef x, MatRef y) const noexcept {
  const Index in = conv_.shape().in, out = conv_.shape().out / groups_, d = conv_.shape().dilation;
  for (Index g = 0; g < groups_; ++g) {
    const ConstMatRef xg = x.middleRows(g * in, in), wg = p.weight.middleRows(g * out, out);
    const ConstMatRef bg = p.bias.size() > 0 ? ConstMatRef(p.bias.middleRows(g * out, out)) : ConstMatRef(empty_mat());
    MatRef yg = y.middleRows(g * out, out);
    if (!conv1d_forward_small(xg, wg, bg, d, yg, Conv1dExtras{})) conv1d_forward_naive(xg, wg, bg, d, yg);
  }
}

Var GroupedConv::forward(Tape& t, const ParamBuffers& p, Var x) const {
  const Var w = conv_.weight(t, p), b = conv_.bias(t, p);
  const Index d = conv_.shape().dilation;
  if (groups_ == 1) return conv1d(t, x, w, b, d);
  const Index in = conv_.shape().in, out = conv_.shape().out / groups_;
  Var y;
  for (Index g = 0; g < groups_; ++g) {
    const Var yg = conv1d(t, slice_channels(t, x, g * in, in), slice_channels(t, w, g * out, out),
                          b.valid() ? slice_channels(t, b, g * out, out) : Var{}, d);
    y = g == 0 ? yg : concat_channels(t, y, yg);
  }
  return y;
}

GeneralResidualLayer::GeneralResidualLayer(ParamLayout& layout, const std::string& name, const LayerArrayConfig& array,
                                           size_t layer)
    : options_(*array.general), layer_(layer), channels_(array.channels), condition_channels_(array.condition_size) {
  const LayerArrayOptions& o = options_;
  const Index c = channels_, cc = condition_channels_, z = o.z_rows(layer), b = o.bottleneck;
  conv_ = GroupedConv(layout, name + "conv", {c, z, array.layer_kernel_size(layer), array.dilations[layer], true, true},
                      o.groups_input);
  mixer_ = GroupedConv(layout, name + "input_mixer", {cc, z, 1, 1, false}, o.groups_input_mixin);
  if (o.layer1x1) layer1x1_ = GroupedConv(layout, name + "layer1x1", {b, c, 1, 1, true}, o.layer1x1_groups);
  if (o.head1x1)
    head1x1_ = GroupedConv(layout, name + "head1x1", {b, o.head1x1_out_channels, 1, 1, true}, o.head1x1_groups);
  for (size_t f = 0; f < kLayerFilmSites; ++f) {
    film_rows_[f] = film_rows(o, c, cc, f, layer);
    const LayerFilm& film = o.films[f];
    if (film.active)
      films_[f] = GroupedConv(layout, name + kLayerFilmKeys[f], {cc, (film.shift ? 2 : 1) * film_rows_[f], 1, 1, true},
                              film.groups);
  }
}

double GeneralResidualLayer::flops() const {
  const LayerArrayOptions& o = options_;
  double f = conv_.flops() + mixer_.flops() + double(o.z_rows(layer_));  // z
  f += double(o.bottleneck) * (o.gating[layer_] == Gating::None ? 1 : 3);  // activation, gate
  if (o.layer1x1) f += layer1x1_.flops() + double(channels_);
  if (o.head1x1) f += head1x1_.flops();
  f += double(o.head_input());
  for (size_t s = 0; s < kLayerFilmSites; ++s)
    if (o.films[s].active) f += films_[s].flops() + 2 * double(film_rows_[s]);
  return f;
}

void GeneralResidualLayer::pack(const Scalar* params, Packed& p) const {
  conv_.pack(params, p.conv);
  mixer_.pack(params, p.mixer);
  if (options_.layer1x1) layer1x1_.pack(params, p.layer1x1);
  if (options_.head1x1) head1x1_.pack(params, p.head1x1);
  for (size_t f = 0; f < kLayerFilmSites; ++f)
    if (options_.films[f].active) films_[f].pack(params, p.films[f]);
}

namespace {
// The scratch of one layer for blocks of up to n columns.
void allocate(GeneralResidualLayer::State& s, const LayerArrayOptions& o, size_t layer, Index channels,
              Index condition_channels, const std::array<Index, kLayerFilmSites>& film_rows, Index n) {
  s.z.resize(o.z_rows(layer), n);
  s.mix.resize(o.z_rows(layer), n);
  s.u.resize(o.bottleneck, n);
  s.r.resize(channels, n);
  s.head.resize(o.head1x1_out_channels, n);
  s.condition.resize(condition_channels, n);
  Index film = 1;
  for (size_t f = 0; f < kLayerFilmSites; ++f)
    if (o.films[f].active) film = std::max(film, (o.films[f].shift ? 2 : 1) * film_rows[f]);
  s.film.resize(film, n);
}
}  // namespace

void GeneralResidualLayer::prepare(const Scalar* params, int max_block, State& s) const {
  pack(params, s.weights);
  s.input.prepare(channels_, reach(), max_block);
  allocate(s, options_, layer_, channels_, condition_channels_, film_rows_, max_block);
}

void GeneralResidualLayer::film(const Packed& p, size_t f, ConstMatRef condition, MatRef x, MatRef film) const noexcept {
  const Index rows = film_rows_[f], n = x.cols();
  const bool shift = options_.films[f].shift;
  MatMap ss(film.data(), (shift ? 2 : 1) * rows, n);
  films_[f].apply(p.films[f], condition, ss);
  for (Index t = 0; t < n; ++t)
    for (Index c = 0; c < rows; ++c) x(c, t) = shift ? std::fma(x(c, t), ss(c, t), ss(rows + c, t)) : x(c, t) * ss(c, t);
}

void GeneralResidualLayer::conv_input(const Packed& p, ConstMatRef h, ConstMatRef condition, MatRef out,
                                      MatRef film_buffer) const noexcept {
  out = h;
  if (options_.films[kConvPreFilm].active) film(p, kConvPreFilm, condition, out, film_buffer);
}

void GeneralResidualLayer::step(const Packed& p, ConstMatRef window, ConstMatRef condition, ConstMatRef h,
                                MatRef h_next, MatRef head, State& s, Index n) const noexcept {
  const LayerArrayOptions& o = options_;
  const auto& films = o.films;
  const Index b = o.bottleneck, zr = o.z_rows(layer_), c = channels_;
  const Gating gating = o.gating[layer_];
  MatRef fb = s.film;
  MatMap z = columns(s.z, zr, n), m = columns(s.mix, zr, n), u = columns(s.u, b, n);
  conv_.apply(p.conv, window, z);
  if (films[kConvPostFilm].active) film(p, kConvPostFilm, condition, z, fb);
  if (films[kMixinPreFilm].active) {
    MatMap cond = columns(s.condition, condition_channels_, n);
    cond = condition;
    film(p, kMixinPreFilm, condition, cond, fb);
    mixer_.apply(p.mixer, cond, m);
  } else {
    mixer_.apply(p.mixer, condition, m);
  }
  if (films[kMixinPostFilm].active) film(p, kMixinPostFilm, condition, m, fb);
  for (Index i = 0; i < zr * n; ++i) z.data()[i] += m.data()[i];
  if (films[kActivationPreFilm].active) film(p, kActivationPreFilm, condition, z, fb);
  activate(o.activations[layer_], z.topRows(b), u);
  if (gating != Gating::None) {
    MatMap g = columns(s.mix, b, n);  // the mixer's output is in z by now
    activate(o.secondaries[layer_], z.bottomRows(b), g);
    // Gated: the activation times the gate; blended: the gate mixes the activation and z.
    for (Index t = 0; t < n; ++t)
      for (Index ch = 0; ch < b; ++ch)
        u(ch, t) = gating == Gating::Gated ? u(ch, t) * g(ch, t) : std::fma(g(ch, t), u(ch, t) - z(ch, t), z(ch, t));
  }
  if (films[kActivationPostFilm].active) film(p, kActivationPostFilm, condition, u, fb);
  if (o.layer1x1) {
    MatMap r = columns(s.r, c, n);
    layer1x1_.apply(p.layer1x1, u, r);
    // Only blended layers apply layer1x1_post_film, as NAM's runtime does (docs/model_format.md).
    if (films[kLayer1x1PostFilm].active && gating == Gating::Blended) film(p, kLayer1x1PostFilm, condition, r, fb);
    for (Index t = 0; t < n; ++t)
      for (Index ch = 0; ch < c; ++ch) h_next(ch, t) = h(ch, t) + r(ch, t);
  } else {
    for (Index t = 0; t < n; ++t)
      for (Index ch = 0; ch < c; ++ch) h_next(ch, t) = h(ch, t);
  }
  if (o.head1x1) {
    MatMap hh = columns(s.head, o.head1x1_out_channels, n);
    head1x1_.apply(p.head1x1, u, hh);
    if (films[kHead1x1PostFilm].active) film(p, kHead1x1PostFilm, condition, hh, fb);
    head += hh;
  } else {
    head += u;
  }
}

void GeneralResidualLayer::process(State& s, ConstMatRef condition, MatRef h, MatRef head, Index n) const noexcept {
  conv_input(s.weights, h, condition, s.input.next(n), s.film);
  step(s.weights, s.input.window(n), condition, h, h, head, s, n);
  s.input.advance(n);
}

void GeneralResidualLayer::run(const Scalar* params, ConstMatRef h, ConstMatRef condition, MatRef h_next,
                               MatRef head) const {
  const Index all = h.cols(), n = all - reach();
  State s;
  pack(params, s.weights);
  allocate(s, options_, layer_, channels_, condition_channels_, film_rows_, all);
  Mat input(channels_, all);
  conv_input(s.weights, h, condition.rightCols(all), input, s.film);
  step(s.weights, input, condition.rightCols(n), h.rightCols(n), h_next, head, s, n);
}

Var GeneralResidualLayer::film(Tape& t, const ParamBuffers& p, size_t f, Var x, Var condition) const {
  const Index rows = film_rows_[f];
  const Var ss = films_[f].forward(t, p, crop_last(t, condition, t.cols(x)));
  const Var y = mul(t, x, slice_channels(t, ss, 0, rows));
  return options_.films[f].shift ? add(t, y, slice_channels(t, ss, rows, rows)) : y;
}

ResidualLayerResult GeneralResidualLayer::forward(Tape& t, const ParamBuffers& p, Var h, Var condition,
                                                  Var head) const {
  const LayerArrayOptions& o = options_;
  const auto& films = o.films;
  const Index n = t.cols(h) - reach(), b = o.bottleneck;
  const Gating gating = o.gating[layer_];
  const auto site = [&](size_t f, Var x) { return films[f].active ? film(t, p, f, x, condition) : x; };
  Var z = site(kConvPostFilm, conv_.forward(t, p, site(kConvPreFilm, h)));
  const Var cond = crop_last(t, condition, n);
  z = add(t, z, site(kMixinPostFilm, mixer_.forward(t, p, site(kMixinPreFilm, cond))));
  z = site(kActivationPreFilm, z);
  Var u;
  if (gating == Gating::None) {
    u = activate(t, o.activations[layer_], z);
  } else {
    const Var top = slice_channels(t, z, 0, b);
    const Var a = activate(t, o.activations[layer_], top), g = activate(t, o.secondaries[layer_], slice_channels(t, z, b, b));
    u = gating == Gating::Gated ? mul(t, a, g) : add(t, top, mul(t, g, sub(t, a, top)));
  }
  u = site(kActivationPostFilm, u);
  Var h_next = crop_last(t, h, n);
  if (o.layer1x1) {
    Var r = layer1x1_.forward(t, p, u);
    if (gating == Gating::Blended) r = site(kLayer1x1PostFilm, r);
    h_next = add(t, h_next, r);
  }
  const Var term = o.head1x1 ? site(kHead1x1PostFilm, head1x1_.forward(t, p, u)) : u;
  return {h_next, head.valid() ? add(t, crop_last(t, head, n), term) : term};
}

}  // namespace namk
