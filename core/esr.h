// The error-to-signal ratio, ESR = sum((prediction - target)^2) / sum(target^2), NAM's measure of a
// model. One definition for the training loss, validation, eval and render --reference, so that a
// number printed anywhere means the same thing. kEsrEpsilon is added to the target's *mean*
// square (per sample), so it keeps a silent target from dividing by zero without depending on
// the clip's length (the data checks reject silent outputs before training).
#pragma once

#include "core/scalar.h"

namespace namk {

constexpr double kEsrEpsilon = 1e-8;

// Sums of squares in double, in sixteen partial sums: a run of n values adds value i's square into
// partial i % 16 for its whole groups of sixteen and the rest into partial 0, and the total adds the
// partials in order. A fixed order, so a given array always gives the same bits. Eigen's
// m.cast<double>().squaredNorm() compiled to one chain of scalar conversions and multiply-adds (180
// us for the 113k magnitudes of one signal's MRSTFT, about 2% of a training step); the sixteen
// partials let the compiler vectorise both (12 us).
class SquareSums {
 public:
  // value(i): the i-th value of the run, in double.
  template <typename Value>
  void add_run(Index n, Value value) {
    Index i = 0;
    for (; i + kPartials <= n; i += kPartials)
      for (Index l = 0; l < kPartials; ++l) {
        const double v = value(i + l);
        partial_[l] += v * v;
      }
    for (; i < n; ++i) {
      const double v = value(i);
      partial_[0] += v * v;
    }
  }
  double total() const {
    double sum = 0;
    for (double v : partial_) sum += v;
    return sum;
  }

 private:
  static constexpr Index kPartials = 16;
  double partial_[kPartials] = {};
};

// The sum of an array's squares (a run per column when the columns are not contiguous).
inline double sum_of_squares(ConstMatRef m) {
  SquareSums sums;
  auto run = [&](const Scalar* p, Index n) { sums.add_run(n, [p](Index i) { return static_cast<double>(p[i]); }); };
  if (m.outerStride() == m.rows())
    run(m.data(), m.size());
  else
    for (Index j = 0; j < m.cols(); ++j) run(m.data() + j * m.outerStride(), m.rows());
  return sums.total();
}

// sum_of_squares(a - b) of two contiguous arrays of one shape, without the difference's array: each
// difference rounded to Scalar first, as the array's would be, so the two give the same bits.
inline double sum_of_squared_differences(ConstMatRef a, ConstMatRef b) {
  SquareSums sums;
  const Scalar *pa = a.data(), *pb = b.data();
  sums.add_run(a.size(), [pa, pb](Index i) { return static_cast<double>(static_cast<Scalar>(pa[i] - pb[i])); });
  return sums.total();
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
