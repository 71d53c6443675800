// An exponential moving average of the weights (Polyak-Ruppert averaging): after every optimiser
// step, average = d * average + (1 - d) * params. Adam's last steps jitter around the minimum with
// the step size; the average sits nearer its middle, so validation and the exported model use it
// and the late validation curve is smoother. The decay warms up as (1 + t) / (10 + t) for step t,
// so the first averages are not held back by the random initial weights.
#pragma once

#include <cstdint>

#include "core/scalar.h"

namespace namk {

// The decay used at optimiser step `step` (0-based) for a configured decay.
double weight_average_decay(double decay, int64_t step);

// average = d * average + (1 - d) * params, d = weight_average_decay(decay, step).
void update_weight_average(Vec& average, const Vec& params, double decay, int64_t step);

}  // namespace namk
