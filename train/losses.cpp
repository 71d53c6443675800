// See losses.h.
#include "train/losses.h"

namespace namk {

Var mse_loss(Tape& t, Var prediction, Var target) {
  return mean(t, square(t, sub(t, prediction, target)));
}

namespace {
// 1 / (mean(target^2) + kEsrEpsilon): the denominator of core/esr.h's ESR, per sample.
Scalar inverse_energy(const Tape& t, Var target) {
  const double energy = sum_of_squares(t.value(target)) / static_cast<double>(t.value(target).size());
  return static_cast<Scalar>(1.0 / (energy + kEsrEpsilon));
}
}  // namespace

Var esr_loss(Tape& t, Var prediction, Var target) {
  return scale(t, mse_loss(t, prediction, target), inverse_energy(t, target));
}

Var pre_emphasis(Tape& t, Var x, Scalar coef) {
  const Index n = t.cols(x) - 1;
  return sub(t, slice_time(t, x, 1, n), scale(t, slice_time(t, x, 0, n), coef));
}

Var dc_loss(Tape& t, Var prediction, Var target) {
  Var offset = sub(t, mean(t, target), mean(t, prediction));
  return scale(t, square(t, offset), inverse_energy(t, target));
}

}  // namespace namk
