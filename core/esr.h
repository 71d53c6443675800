// The error-to-signal ratio, ESR = sum((prediction - target)^2) / sum(target^2), NAM's measure of a
// model. One definition for the training loss, validation, eval and render --reference, so that a
// number printed anywhere means the same thing. kEsrEpsilon is added to the target's *mean*
// square (per sample), so it keeps a silent target from dividing by zero without depending on
// the clip's length (the data checks reject silent outputs before training).
#pragma once

#include "core/scalar.h"

namespace namk {

constexpr double kEsrEpsilon = 1e-8;

// From sums over n samples: sum of squared errors and sum of the target's squares.
inline double esr_from_sums(double error_sum, double energy_sum, double n) {
  return error_sum / (energy_sum + kEsrEpsilon * n);
}

// The ESR of two equally shaped arrays, accumulated in double.
inline double esr(ConstMatRef prediction, ConstMatRef target) {
  return esr_from_sums((prediction - target).template cast<double>().squaredNorm(),
                       target.template cast<double>().squaredNorm(), static_cast<double>(target.size()));
}

}  // namespace namk
