// See wavenet.h. forward() and process_block() are the same layer, written twice only in how the
// tensors are held (tape nodes vs ring buffers); both call the conv1d/activation/film kernels on
// the same weights.
#include "nn/wavenet.h"

#include <algorithm>
#include <limits>
#include <new>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/kernels/pointwise.h"
#include "core/ops.h"
#include "core/residual_layer_op.h"
#include "nn/nam_weight.h"

namespace namk {

namespace {
std::string field(size_t array, const char* key) {
  return "config.layers[" + std::to_string(array) + "]." + key;
}
}  // namespace

WaveNet::WaveNet(const ModelConfig& config) : Model(config) {
  const auto& layers = config_.wavenet.layers;
  if (layers.empty())
    throw InputError(describe_error("model config", "config.layers", "at least one layer array", "none"));
  const Index extra_condition = uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0;
  std::vector<Index> film_sites;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerArrayConfig& c = layers[i];
    auto require = [&](bool ok, const char* key, const std::string& expected, Index found) {
      if (!ok) throw InputError(describe_error("model config", field(i, key), expected, std::to_string(found)));
    };
    require(c.input_size == (i == 0 ? 1 : layers[i - 1].channels), "input_size",
            i == 0 ? "1 (the audio)" : "the previous array's channels", c.input_size);
    require(c.condition_size == 1, "condition_size", "1 (the audio)", c.condition_size);
    require(c.channels >= 1, "channels", "at least 1", c.channels);
    require(c.kernel_size >= 1, "kernel_size", "at least 1", c.kernel_size);
    require(c.head_size == (i + 1 < layers.size() ? layers[i + 1].channels : 1), "head_size",
            i + 1 < layers.size() ? "the next array's channels" : "1 (the output)", c.head_size);
    require(!c.dilations.empty(), "dilations", "at least one dilation", 0);
    for (Index d : c.dilations) require(d >= 1, "dilations", "dilations >= 1", d);

    Array a;
    a.config = c;
    a.condition_channels = c.condition_size + extra_condition;
    const Index ch = c.channels, cz = z_channels(a), k = c.kernel_size, cc = a.condition_channels;
    const std::string name = "layers[" + std::to_string(i) + "].";
    a.rechannel_weight = layout_.add(name + "rechannel.weight", {ch, c.input_size}, c.input_size);
    for (Index d : c.dilations) {
      Layer l;
      l.dilation = d;
      const std::string layer = name + "layer[" + std::to_string(a.layers.size()) + "].";
      l.conv_weight = layout_.add(layer + "conv.weight", {cz, ch, k}, ch * k);
      l.conv_bias = layout_.add(layer + "conv.bias", {cz}, ch * k);
      l.mixer_weight = layout_.add(layer + "input_mixer.weight", {cz, cc}, cc);
      l.out_weight = layout_.add(layer + "layer1x1.weight", {ch, ch}, ch);
      l.out_bias = layout_.add(layer + "layer1x1.bias", {ch}, ch);
      l.film_site = film_sites.size();
      film_sites.push_back(cz);
      a.layers.push_back(l);
    }
    a.head_weight = layout_.add(name + "head_rechannel.weight", {c.head_size, ch}, ch);
    if (c.head_bias) a.head_bias = layout_.add(name + "head_rechannel.bias", {c.head_size}, ch);
    if (config_.film.head) {
      a.head_film_site = film_sites.size();
      film_sites.push_back(c.head_size);
    }
    arrays_.push_back(std::move(a));
  }
  finish_layout(film_sites);
}

Index WaveNet::receptive_field() const {
  Index r = 1;
  for (const Array& a : arrays_)
    for (const Layer& l : a.layers) r += (a.config.kernel_size - 1) * l.dilation;
  return r;
}

double WaveNet::flops_per_sample() const {
  double f = 0;
  for (const Array& a : arrays_) {
    const double c = double(a.config.channels), cz = double(z_channels(a)),
                 k = double(a.config.kernel_size), h = double(a.config.head_size);
    f += 2 * c * double(a.config.input_size);  // rechannel
    const double per_layer = 2 * cz * c * k + cz       // conv + bias
                             + 2 * cz * double(a.condition_channels)  // input mixer
                             // FiLM: none per sample, it is folded into the conv while knobs are still
                             + cz + (a.config.gated ? c : 0)  // activation (+ gate product)
                             + 2 * c * c + c + c      // 1x1 + bias + residual
                             + c;                     // head accumulation
    f += per_layer * double(a.layers.size());
    f += 2 * h * c + (a.config.head_bias ? h : 0);
  }
  return f + 1;  // head_scale
}

Var WaveNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  if (t.rows(x) != 1 || t.cols(x) < receptive_field())
    throw UsageError("WaveNet forward: expected x of shape (1, >= " +
                     std::to_string(receptive_field()) + "), found (" + std::to_string(t.rows(x)) +
                     ", " + std::to_string(t.cols(x)) + ")");
  Var cond = conditioning(t, knob_values, grad);
  // The input mixer's condition: the audio, plus the knobs as constant channels for concat.
  Var condition = x;
  if (uses_concat()) {
    Var knobs = t.output(t.rows(cond), t.cols(x), false);
    t.value(knobs).colwise() = t.value(cond).col(0);
    condition = concat_channels(t, x, knobs);
  }
  const Scalar* p = params_.data();
  auto weight = [&](Index offset, Index out, Index in, Index taps) {
    return nam_weight(t, p + offset, grad ? grad + offset : nullptr, out, in, taps);
  };
  auto vector = [&](Index offset, Index size) {
    return nam_vector(t, p + offset, grad ? grad + offset : nullptr, size);
  };
  // FiLM site s modulates a conv's output; with the knobs constant over an item it is folded into
  // the conv itself (rows of the weights scaled by gamma, gamma * bias + beta), exactly as the
  // streaming path folds it (prepare_stream), so both run the same fused layer on the same numbers.
  auto gamma = [&](size_t site, Index c) { return slice_channels(t, cond, film_site(site), c); };
  auto beta = [&](size_t site, Index c) {
    return config_.film.shift ? slice_channels(t, cond, film_site(site) + c, c) : Var{};
  };

  Var h = x, head{};
  for (const Array& a : arrays_) {
    const Index ch = a.config.channels, cz = z_channels(a);
    h = conv1d(t, h, weight(a.rechannel_weight, ch, a.config.input_size, 1), Var{}, 1);
    for (const Layer& l : a.layers) {
      ResidualLayerParams lp{weight(l.conv_weight, cz, ch, a.config.kernel_size), vector(l.conv_bias, cz),
                             weight(l.mixer_weight, cz, a.condition_channels, 1), weight(l.out_weight, ch, ch, 1),
                             vector(l.out_bias, ch)};
      if (uses_film()) {
        const Var g = gamma(l.film_site, cz);
        lp.conv = film(t, lp.conv, g, Var{});
        lp.mixer = film(t, lp.mixer, g, Var{});
        lp.conv_bias = film(t, lp.conv_bias, g, beta(l.film_site, cz));
      }
      const ResidualLayerResult r =
          residual_layer(t, h, condition, head, lp, {l.dilation, a.config.activation, a.config.gated});
      h = r.h;
      head = r.head;
    }
    const Index hs = a.config.head_size;
    Var head_weight = weight(a.head_weight, hs, ch, 1);
    Var head_bias = a.head_bias >= 0 ? vector(a.head_bias, hs) : Var{};
    if (uses_film() && config_.film.head) {
      const Var g = gamma(a.head_film_site, hs), b = beta(a.head_film_site, hs);
      head_weight = film(t, head_weight, g, Var{});
      head_bias = head_bias.valid() ? film(t, head_bias, g, b) : b;
    }
    head = conv1d(t, head, head_weight, head_bias, 1);
  }
  return scale(t, head, static_cast<Scalar>(config_.wavenet.head_scale));
}

void WaveNet::prepare_stream(int max_block) {
  const Scalar* p = params_.data();
  const Index n = max_block;
  Index max_cz = 0, max_c = 0;
  streams_.clear();
  for (const Array& a : arrays_) {
    const Index ch = a.config.channels, cz = z_channels(a), k = a.config.kernel_size, hs = a.config.head_size;
    max_cz = std::max(max_cz, cz);
    max_c = std::max(max_c, ch);
    ArrayStream s;
    s.rechannel_weight.resize(ch, a.config.input_size);
    nam_weight_pack(p + a.rechannel_weight, a.config.input_size, 1, s.rechannel_weight);
    s.head_weight.resize(hs, ch);
    nam_weight_pack(p + a.head_weight, ch, 1, s.head_weight);
    s.head_bias = a.head_bias >= 0 ? Mat(ConstMatMap(p + a.head_bias, hs, 1)) : Mat();
    if (uses_film() && config_.film.head) {
      s.head_weight_plain = s.head_weight;
      s.head_bias_plain = s.head_bias;
      if (s.head_bias.size() == 0 && config_.film.shift) s.head_bias.resize(hs, 1);  // FiLM's beta, folded in
    }
    for (const Layer& l : a.layers) {
      LayerStream ls;
      ls.conv_weight.resize(cz, k * ch);
      nam_weight_pack(p + l.conv_weight, ch, k, ls.conv_weight);
      ls.conv_bias = ConstMatMap(p + l.conv_bias, cz, 1);
      ls.mixer_weight.resize(cz, a.condition_channels);
      nam_weight_pack(p + l.mixer_weight, a.condition_channels, 1, ls.mixer_weight);
      ls.out_weight.resize(ch, ch);
      nam_weight_pack(p + l.out_weight, ch, 1, ls.out_weight);
      ls.out_bias = ConstMatMap(p + l.out_bias, ch, 1);
      if (uses_film()) {
        ls.conv_plain = ls.conv_weight;
        ls.conv_bias_plain = ls.conv_bias;
        ls.mixer_plain = ls.mixer_weight;
      }
      ls.input.prepare(ch, (k - 1) * l.dilation, n);
      s.layers.push_back(std::move(ls));
    }
    s.head.resize(ch, n);
    s.head_out.resize(hs, n);
    s.out.resize(ch, n);
    streams_.push_back(std::move(s));
  }
  z_.resize(max_cz, n);
  post_.resize(max_cz, n);
  a_.resize(max_c, n);
  condition_.resize(arrays_.front().condition_channels, n);
  // NaN never equals a conditioning value, so the first block folds (without allocating).
  folded_cond_ = Vec::Constant(conditioning_now().size(), std::numeric_limits<Scalar>::quiet_NaN());
}

void WaveNet::reset_stream() noexcept {
  for (ArrayStream& s : streams_)
    for (LayerStream& l : s.layers) l.input.reset();
}

void WaveNet::fold_film(const Vec& cond) noexcept {
  // The same film kernel on the same packed weights as forward()'s film ops: the same bits.
  auto column = [&](Index offset, Index c) { return ConstMatMap(cond.data() + offset, c, 1); };
  for (size_t ai = 0; ai < arrays_.size(); ++ai) {
    const Array& a = arrays_[ai];
    ArrayStream& s = streams_[ai];
    const Index cz = z_channels(a), hs = a.config.head_size;
    for (size_t li = 0; li < a.layers.size(); ++li) {
      const Index o = film_site(a.layers[li].film_site);
      LayerStream& ls = s.layers[li];
      film_forward(ls.conv_plain, column(o, cz), empty_mat(), ls.conv_weight);
      film_forward(ls.mixer_plain, column(o, cz), empty_mat(), ls.mixer_weight);
      film_forward(ls.conv_bias_plain, column(o, cz),
                   config_.film.shift ? column(o + cz, cz) : ConstMatMap(nullptr, 0, 0), ls.conv_bias);
    }
    if (config_.film.head) {
      const Index o = film_site(a.head_film_site);
      film_forward(s.head_weight_plain, column(o, hs), empty_mat(), s.head_weight);
      if (s.head_bias_plain.size() > 0)
        film_forward(s.head_bias_plain, column(o, hs),
                     config_.film.shift ? column(o + hs, hs) : ConstMatMap(nullptr, 0, 0), s.head_bias);
      else if (config_.film.shift)
        s.head_bias = column(o + hs, hs);
    }
  }
  folded_cond_ = cond;
}

void WaveNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const ConstMatMap x(in, 1, n);
  const Vec& cond = conditioning_now();
  // Knobs are still between moves and step every few samples while one ramps: refold only then.
  if (uses_film() && folded_cond_ != cond) fold_film(cond);
  condition_.topLeftCorner(1, n) = x;
  if (uses_concat())
    condition_.block(1, 0, cond.size(), n).colwise() = cond;
  const ConstMatMap condition(condition_.data(), condition_.rows(), n);
  // Maps rather than Refs so the array's input can be re-pointed at the previous array's output.
  ConstMatMap input(in, 1, n);
  const Scalar* head_in = nullptr;
  for (size_t ai = 0; ai < arrays_.size(); ++ai) {
    const Array& a = arrays_[ai];
    ArrayStream& s = streams_[ai];
    const Index ch = a.config.channels, cz = z_channels(a), hs = a.config.head_size;
    conv1d_forward(input, s.rechannel_weight, empty_mat(), 1, s.layers.front().input.next(n));
    MatMap head(s.head.data(), ch, n);
    // The first layer's skip input is the previous array's head (none for the first array).
    ConstMatMap head_from = head_in ? ConstMatMap(head_in, ch, n) : ConstMatMap(nullptr, 0, 0);
    for (size_t li = 0; li < a.layers.size(); ++li) {
      const Layer& l = a.layers[li];
      LayerStream& ls = s.layers[li];
      // The residual goes straight into the next layer's history (or the array's output).
      MatMap dest = li + 1 < a.layers.size() ? s.layers[li + 1].input.next(n) : MatMap(s.out.data(), ch, n);
      MatMap z(z_.data(), cz, n), a_out(a_.data(), ch, n);
      MatMap post = a.config.gated ? MatMap(post_.data(), cz, n) : empty_mat();
      residual_layer_forward({ls.conv_weight, ls.conv_bias, ls.mixer_weight, ls.out_weight, ls.out_bias},
                             {l.dilation, a.config.activation, a.config.gated}, ls.input.window(n), condition, z,
                             post, a_out, li == 0 ? head_from : ConstMatMap(head.data(), ch, n), head, dest);
      ls.input.advance(n);
    }
    MatMap head_out(s.head_out.data(), hs, n);
    conv1d_forward(head, s.head_weight, s.head_bias, 1, head_out);
    new (&input) ConstMatMap(s.out.data(), ch, n);
    head_in = s.head_out.data();
  }
  const Scalar head_scale = static_cast<Scalar>(config_.wavenet.head_scale);
  for (int i = 0; i < n; ++i) out[i] = head_scale * head_in[i];
}

}  // namespace namk
