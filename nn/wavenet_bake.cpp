// WaveNet::baked: a knob WaveNet frozen at one knob setting as a plain NAM WaveNet. With the knobs
// constant, FiLM's z' = gamma ⊙ (W * h + b + M * c) + beta is itself a conv with rows of W and M
// scaled by gamma and bias gamma ⊙ b + beta; concat's knob channels of the input mixer add a
// constant M_k * k to z, which joins the conv bias. Everything else is copied unchanged.
#include <algorithm>

#include "base/error.h"
#include "nn/wavenet.h"

namespace namk {

std::unique_ptr<Model> WaveNet::baked(std::span<const double> knob_values) const {
  if (!has_knobs()) return Model::baked(knob_values);
  const Vec cond = conditioning_values(knob_values);
  const bool film = uses_film(), shift = film && config_.film.shift;
  for (const Array& a : arrays_)
    if (film && config_.film.head && shift && a.head_bias < 0)
      throw UsageError("cannot bake: FiLM shifts the head of a layer array without head_bias, "
                       "and NAM's head has no other place for that constant");

  ModelConfig plain = config_;
  plain.knobs.clear();
  auto out_model = make_model(plain);
  auto& out = static_cast<WaveNet&>(*out_model);
  const Scalar* src = params_.data();
  Scalar* dst = out.params_.data();
  auto copy = [&](Index from, Index to, Index n) { std::copy_n(src + from, n, dst + to); };
  // gamma and beta of a FiLM site, or identity when that site is not modulated.
  auto gamma = [&](size_t site, Index i) { return film ? cond[film_site(site) + i] : Scalar(1); };
  auto beta = [&](size_t site, Index c, Index i) { return shift ? cond[film_site(site) + c + i] : Scalar(0); };

  for (size_t ai = 0; ai < arrays_.size(); ++ai) {
    const Array& a = arrays_[ai];
    const Array& b = out.arrays_[ai];
    const Index ch = a.config.channels, cz = z_channels(a), k = a.config.kernel_size;
    copy(a.rechannel_weight, b.rechannel_weight, ch * a.config.input_size);
    for (size_t li = 0; li < a.layers.size(); ++li) {
      const Layer& l = a.layers[li];
      const Layer& m = b.layers[li];
      for (Index o = 0; o < cz; ++o) {
        const Scalar g = gamma(l.film_site, o);
        // Row o of the conv weight (o, :, :) and of the mixer (o, :) in NAM's row-major layout.
        for (Index j = 0; j < ch * k; ++j) dst[m.conv_weight + o * ch * k + j] = g * src[l.conv_weight + o * ch * k + j];
        Scalar bias = src[l.conv_bias + o];
        for (Index j = 1; j < a.condition_channels; ++j)  // concat's knob channels
          bias += src[l.mixer_weight + o * a.condition_channels + j] * cond[j - 1];
        dst[m.conv_bias + o] = g * bias + beta(l.film_site, cz, o);
        dst[m.mixer_weight + o] = g * src[l.mixer_weight + o * a.condition_channels];
      }
      copy(l.out_weight, m.out_weight, ch * ch);
      copy(l.out_bias, m.out_bias, ch);
    }
    const Index h = a.config.head_size;
    const bool head_film = film && config_.film.head;
    for (Index o = 0; o < h; ++o) {
      const Scalar g = head_film ? gamma(a.head_film_site, o) : Scalar(1);
      for (Index j = 0; j < ch; ++j) dst[b.head_weight + o * ch + j] = g * src[a.head_weight + o * ch + j];
      if (a.head_bias >= 0)
        dst[b.head_bias + o] = g * src[a.head_bias + o] + (head_film ? beta(a.head_film_site, h, o) : Scalar(0));
    }
  }
  return out_model;
}

}  // namespace namk
