// See film.h.
#include "nn/layers/film.h"

#include "core/kernels/pointwise.h"
#include "core/ops.h"

namespace namk {

Var FilmSite::gamma(Tape& t, Var cond) const { return slice_channels(t, cond, offset, channels); }

Var FilmSite::beta(Tape& t, Var cond) const {
  return shift ? slice_channels(t, cond, offset + channels, channels) : Var{};
}

ConstMatMap FilmSite::gamma(const Vec& cond) const { return ConstMatMap(cond.data() + offset, channels, 1); }

ConstMatMap FilmSite::beta(const Vec& cond) const {
  return shift ? ConstMatMap(cond.data() + offset + channels, channels, 1) : ConstMatMap(nullptr, 0, 0);
}

Var FilmSite::apply(Tape& t, Var x, Var cond) const { return film(t, x, gamma(t, cond), beta(t, cond)); }

void FilmSite::apply(const Vec& cond, MatMap x) const noexcept {
  // beta(cond) has no data without shift: film_columns's scale-only form.
  film_columns(x.data(), x.rows(), gamma(cond).data(), beta(cond).data(), x.rows(), x.cols(), x.data(), x.rows());
}

Var film_fold_weight(Tape& t, Var weight, Var gamma) { return film(t, weight, gamma, Var{}); }

Var film_fold_bias(Tape& t, Var bias, Var gamma, Var beta) {
  return bias.valid() ? film(t, bias, gamma, beta) : beta;
}

void film_fold_weight(ConstMatRef plain, ConstMatRef gamma, MatRef folded) {
  film_forward(plain, gamma, empty_mat(), folded);
}

void film_fold_bias(ConstMatRef plain, ConstMatRef gamma, ConstMatRef beta, MatRef folded) {
  if (plain.size() > 0)
    film_forward(plain, gamma, beta, folded);
  else if (beta.size() > 0)
    folded = beta;
}

Scalar film_fold_bias_element(const FilmSite& site, const Vec& cond, Index o, Scalar bias) {
  const Scalar gamma = site.active() ? cond[site.offset + o] : Scalar(1);
  const Scalar beta = site.active() && site.shift ? cond[site.offset + site.channels + o] : Scalar(0);
  return gamma * bias + beta;
}

}  // namespace namk
