// See knob_smoothness.h.
#include "train/knob_smoothness.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/error.h"
#include "core/ops.h"
#include "train/losses.h"
#include "train/train_step.h"

namespace namk {

Var knob_curvature(Tape& t, const Model& model, std::span<const float> x, Var centre,
                   std::span<const double> knobs, Index axis, double step, Index window, Scalar* grad) {
  const Index nk = static_cast<Index>(model.knobs().size());
  if (axis < 0 || axis >= nk)
    throw UsageError("knob_curvature: knob " + std::to_string(axis) + " of a model with " + std::to_string(nk));
  const Index context = model.receptive_field() - 1;
  const Index targets = std::min<Index>(window, static_cast<Index>(x.size()) - context);
  if (targets < 1) throw UsageError("knob_curvature: the input is shorter than the receptive field");
  Var input = audio_constant(t, x.first(static_cast<size_t>(context + targets)));

  const KnobSpec& knob = model.knobs()[static_cast<size_t>(axis)];
  const double h = step * (knob.max - knob.min);
  std::vector<double> up(knobs.begin(), knobs.end()), down = up;
  up[static_cast<size_t>(axis)] += h;
  down[static_cast<size_t>(axis)] -= h;
  if (t.cols(centre) < targets)
    throw UsageError("knob_curvature: the centre has " + std::to_string(t.cols(centre)) + " outputs, the window " +
                     std::to_string(targets));
  centre = slice_time(t, centre, 0, targets);
  Var sides = add(t, model.forward(t, input, up, grad), model.forward(t, input, down, grad));
  // mean((up + down - 2 centre)^2): the MSE between the sides' sum and twice the centre.
  return mse_loss(t, sides, scale(t, centre, Scalar(2)));
}

}  // namespace namk
