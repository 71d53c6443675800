// See conv1d_layer.h.
#include "nn/layers/conv1d_layer.h"

#include <algorithm>

#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/ops.h"
#include "nn/nam_weight.h"

namespace namk {

Conv1dLayer::Conv1dLayer(ParamLayout& layout, const std::string& name, const Conv1dShape& shape) : shape_(shape) {
  const Index fan_in = shape.in * shape.kernel_size;
  const std::string prefix = name.empty() ? name : name + ".";
  weight_ = layout.add(prefix + "weight",
                       shape.taps_axis ? std::vector<Index>{shape.out, shape.in, shape.kernel_size}
                                       : std::vector<Index>{shape.out, shape.in},
                       fan_in);
  if (shape.bias) bias_ = layout.add(prefix + "bias", {shape.out}, fan_in);
}

double Conv1dLayer::flops() const {
  const double out = double(shape_.out);
  return 2 * out * double(shape_.in * shape_.kernel_size) + (has_bias() ? out : 0);
}

Var Conv1dLayer::weight(Tape& t, const ParamBuffers& p) const {
  return p.weight(t, weight_, shape_.out, shape_.in, shape_.kernel_size);
}

Var Conv1dLayer::bias(Tape& t, const ParamBuffers& p) const {
  return has_bias() ? p.vector(t, bias_, shape_.out) : Var{};
}

Var Conv1dLayer::forward(Tape& t, const ParamBuffers& p, Var x, const FilmSite& film, Var cond) const {
  Var w = weight(t, p), b = bias(t, p);
  if (film.active()) {
    const Var gamma = film.gamma(t, cond), beta = film.beta(t, cond);
    w = film_fold_weight(t, w, gamma);
    b = film_fold_bias(t, b, gamma, beta);
  }
  return conv1d(t, x, w, b, shape_.dilation);
}

void Conv1dLayer::pack(const Scalar* params, MatRef weight) const {
  nam_weight_pack(params + weight_, shape_.in, shape_.kernel_size, weight);
}

void Conv1dLayer::prepare(const Scalar* params, const FilmSite& film, State& s) const {
  s.weight.resize(shape_.out, shape_.kernel_size * shape_.in);
  pack(params, s.weight);
  s.bias = has_bias() ? Mat(ConstMatMap(params + bias_, shape_.out, 1)) : Mat();
  if (film.active()) {
    s.weight_plain = s.weight;
    s.bias_plain = s.bias;
    if (s.bias.size() == 0 && film.shift) s.bias.resize(shape_.out, 1);  // FiLM's beta, folded in
  }
}

void Conv1dLayer::fold_film(const FilmSite& film, const Vec& cond, State& s) const noexcept {
  film_fold_weight(s.weight_plain, film.gamma(cond), s.weight);
  film_fold_bias(s.bias_plain, film.gamma(cond), film.beta(cond), s.bias);
}

void Conv1dLayer::process(const State& s, ConstMatRef x, MatRef y) const noexcept {
  conv1d_forward(x, s.weight, s.bias, shape_.dilation, y);
}

void Conv1dLayer::bake(const Scalar* src, const FilmSite& film, const Vec& cond, const Conv1dLayer& to,
                       Scalar* dst) const {
  if (film.active() && film.shift && !to.has_bias())
    throw UsageError("cannot bake: FiLM shifts a conv without a bias, and NAM's file has no other place "
                     "for that constant");
  Mat w(shape_.out, shape_.kernel_size * shape_.in);
  pack(src, w);
  if (film.active()) film_fold_weight(w, film.gamma(cond), w);
  nam_weight_unpack(w, shape_.in, shape_.kernel_size, dst + to.weight_);
  if (to.has_bias())
    for (Index o = 0; o < shape_.out; ++o) dst[to.bias_ + o] = film_fold_bias_element(film, cond, o, src[bias_ + o]);
}

}  // namespace namk
