// The error-to-signal ratio, ESR = sum((prediction - target)^2) / sum(target^2), NAM's measure of a
// model. One definition for the training loss, validation, eval and render --reference, so that a
// number printed anywhere means the same thing. kEsrEpsilon is added to the target's *mean*
// square (per sample), so it keeps a silent target from dividing by zero without depending on
// the clip's length (the data checks reject silent outputs before training).
#pragma once

#include "core/scalar.h"

namespace namk {

constexpr double kEsrEpsilon = 1e-8;

// The sum of an array's squares, accumulated in double in a fixed order (a given array always gives
// the same bits). Eigen's m.cast<double>().squaredNorm() compiled to one chain of scalar
// conversions and multiply-adds (180 us for the 113k magnitudes of one signal's MRSTFT, about 2% of
// a training step); sixteen partial sums let the compiler vectorise both (12 us).
inline double sum_of_squares(ConstMatRef m) {
  constexpr Index kPartials = 16;
  double partial[kPartials] = {};
  auto add_run = [&](const Scalar* p, Index n) {
    Index i = 0;
    for (; i + kPartials <= n; i += kPartials)
      for (Index l = 0; l < kPartials; ++l)
        partial[l] += static_cast<double>(p[i + l]) * static_cast<double>(p[i + l]);
    for (; i < n; ++i) partial[0] += static_cast<double>(p[i]) * static_cast<double>(p[i]);
  };
  if (m.outerStride() == m.rows())
    add_run(m.data(), m.size());
  else
    for (Index j = 0; j < m.cols(); ++j) add_run(m.data() + j * m.outerStride(), m.rows());
  double sum = 0;
  for (double v : partial) sum += v;
  return sum;
}

// sum_of_squares(a - b) of two contiguous arrays of one shape, without the difference's array: each
// difference rounded to Scalar first, as the array's would be, so the two give the same bits.
inline double sum_of_squared_differences(ConstMatRef a, ConstMatRef b) {
  constexpr Index kPartials = 16;
  double partial[kPartials] = {};
  const Scalar *pa = a.data(), *pb = b.data();
  const Index n = a.size();
  auto square = [&](Index i) {
    const auto d = static_cast<double>(static_cast<Scalar>(pa[i] - pb[i]));
    return d * d;
  };
  Index i = 0;
  for (; i + kPartials <= n; i += kPartials)
    for (Index l = 0; l < kPartials; ++l) partial[l] += square(i + l);
  for (; i < n; ++i) partial[0] += square(i);
  double sum = 0;
  for (double v : partial) sum += v;
  return sum;
}

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
