// See weight_average.h.
#include "train/weight_average.h"

#include <algorithm>

namespace namk {

double weight_average_decay(double decay, int64_t step) {
  const double t = static_cast<double>(step);
  return std::min(decay, (1 + t) / (10 + t));
}

void update_weight_average(Vec& average, const Vec& params, double decay, int64_t step) {
  const auto d = static_cast<Scalar>(weight_average_decay(decay, step));
  // The same as d * average + (1 - d) * params, written as a small correction: in float32 the
  // product form rounds away most of a 1e-3 update.
  average += (Scalar(1) - d) * (params - average);
}

}  // namespace namk
