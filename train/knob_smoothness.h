// Knob smoothness (issue 13): a knob model learns the recorded settings and must guess between
// them. This term asks the guess to be smooth: the output's curvature along one knob, the second
// difference y(k + h) - 2 y(k) + y(k - h), is penalised. A straight line between two settings
// costs nothing, so the knob's real effect is left alone; wiggles and overshoots between the
// recorded settings are what it removes. loss.knob_smoothness in the learning config (0: off).
#pragma once

#include <span>

#include "core/tape.h"
#include "nn/model.h"

namespace namk {

// 1x1: the mean over the first `window` targets of (y(k + h e) + y(k - h e) - 2 y(k))^2, where e
// is knob `axis` and h = step x that knob's range; y is the model's output for the input x (nx - 1
// context samples, then the targets' inputs). `centre` is y(k) over x, already computed (the
// training prediction): only the two sides cost a forward pass, each over nx - 1 + window inputs.
// Knob values may step past their range by h (the conditioner extrapolates). grad: the
// parameters' gradient buffer (or nullptr), as in forward().
Var knob_curvature(Tape& t, const Model& model, std::span<const float> x, Var centre,
                   std::span<const double> knobs, Index axis, double step, Index window, Scalar* grad);

}  // namespace namk
