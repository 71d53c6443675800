// See residual_layer.h.
#include "nn/layers/residual_layer.h"

#include <algorithm>

#include "core/kernels/conv1d.h"
#include "nn/nam_weight.h"

namespace namk {

ResidualLayer::ResidualLayer(ParamLayout& layout, const std::string& name, const ResidualLayerConfig& config,
                             std::vector<Index>& film_sites)
    : config_(config) {
  const Index c = config.channels, cz = z_channels();
  conv_ = Conv1dLayer(layout, name + "conv", {c, cz, config.kernel_size, config.dilation, true, true});
  mixer_ = Conv1dLayer(layout, name + "input_mixer", {config.condition_channels, cz, 1, 1, false});
  out_ = Conv1dLayer(layout, name + "layer1x1", {c, c, 1, 1, true});
  film_site_ = film_sites.size();
  film_sites.push_back(cz);
}

double ResidualLayer::flops() const {
  const double c = double(config_.channels), cz = double(z_channels());
  return conv_.flops() + mixer_.flops()   // z
         + cz + (config_.gated ? c : 0)  // activation (+ gate product)
         + out_.flops() + c              // 1x1 + residual
         + c;                            // head accumulation
}

ResidualLayerResult ResidualLayer::forward(Tape& t, const ParamBuffers& p, Var h, Var condition, Var head,
                                           const FilmSite& film, Var cond, HeadUse head_use) const {
  ResidualLayerParams lp{conv_.weight(t, p), conv_.bias(t, p), mixer_.weight(t, p), out_.weight(t, p),
                         out_.bias(t, p)};
  if (film.active()) {
    const Var gamma = film.gamma(t, cond);
    lp.conv = film_fold_weight(t, lp.conv, gamma);
    lp.mixer = film_fold_weight(t, lp.mixer, gamma);
    lp.conv_bias = film_fold_bias(t, lp.conv_bias, gamma, film.beta(t, cond));
  }
  return residual_layer(t, h, condition, head, lp, shape(), head_use);
}

void ResidualLayer::prepare(const Scalar* params, const FilmSite& film, int max_block, State& s) const {
  Conv1dLayer::State conv, mixer, out;
  conv_.prepare(params, {}, conv);
  mixer_.prepare(params, {}, mixer);
  out_.prepare(params, {}, out);
  s.conv = std::move(conv.weight);
  s.conv_bias = std::move(conv.bias);
  s.mixer = std::move(mixer.weight);
  s.out = std::move(out.weight);
  s.out_bias = std::move(out.bias);
  if (film.active()) {
    s.conv_plain = s.conv;
    s.conv_bias_plain = s.conv_bias;
    s.mixer_plain = s.mixer;
  }
  conv1d_pack(s.conv, s.conv_bias, s.mixer, config_.channels, s.conv_packed);
  conv1d_pack(s.out, s.out_bias, empty_mat(), config_.channels, s.out_packed);
  s.input.prepare(config_.channels, reach(), max_block);
  if (planar()) s.planar = planar_layer({s.conv, s.conv_bias, s.mixer, s.out, s.out_bias}, shape());
}

void ResidualLayer::fold_film(const FilmSite& film, const Vec& cond, State& s) const noexcept {
  film_fold_weight(s.conv_plain, film.gamma(cond), s.conv);
  film_fold_weight(s.mixer_plain, film.gamma(cond), s.mixer);
  film_fold_bias(s.conv_bias_plain, film.gamma(cond), film.beta(cond), s.conv_bias);
  conv1d_pack(s.conv, s.conv_bias, s.mixer, config_.channels, s.conv_packed);  // the same size: no allocation
}

void ResidualLayer::process(State& s, const ConstMatView& condition, const ConstMatView& head_in,
                            const MatView& head_out, const MatView& h_next, Scratch& scratch, Index n) const noexcept {
  const Index c = config_.channels, cz = z_channels();
  const MatView z(scratch.z.data(), cz, n, cz), a(scratch.a.data(), c, n, c);
  const MatView post = config_.gated ? MatView(scratch.post.data(), cz, n, cz) : MatView();
  auto packed = [](const Mat& m) { return m.size() > 0 ? m.data() : nullptr; };
  residual_layer_stream({s.conv, s.conv_bias, s.mixer, s.out, s.out_bias, packed(s.conv_packed), packed(s.out_packed)},
                        shape(), s.input.window(n), condition, z, post, a, head_in, head_out, h_next);
  s.input.advance(n);
}

bool ResidualLayer::planar() const {
  return kPlanarStreaming &&
         residual_planar_applies(config_.channels, config_.condition_channels, config_.kernel_size, shape());
}

void ResidualLayer::bake(const Scalar* src, const FilmSite& film, const Vec& cond, const ResidualLayer& to,
                         Scalar* dst) const {
  const Index cz = z_channels(), cc = config_.condition_channels;
  State s;
  prepare(src, film, 1, s);
  if (film.active()) fold_film(film, cond, s);
  // The bias: concat's knob channels are constant inputs of the mixer, so M_k * k joins it; FiLM
  // folds as gamma * bias + beta. Written per element, as bake always wrote it (see film.h).
  const Scalar* bias = src + conv_.bias_offset();
  const Scalar* mixer = src + mixer_.weight_offset();
  Scalar* folded = dst + to.conv_.bias_offset();
  for (Index o = 0; o < cz; ++o) {
    Scalar b = bias[o];
    for (Index j = 1; j < cc; ++j) b += mixer[o * cc + j] * cond[j - 1];
    folded[o] = film_fold_bias_element(film, cond, o, b);
  }
  const Mat audio_mixer = s.mixer.leftCols(1);  // the plain model's condition is the audio alone
  nam_weight_unpack(s.conv, config_.channels, config_.kernel_size, dst + to.conv_.weight_offset());
  nam_weight_unpack(audio_mixer, 1, 1, dst + to.mixer_.weight_offset());
  out_.bake(src, {}, cond, to.out_, dst);
}

}  // namespace namk
