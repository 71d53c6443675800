// Whole-signal inference through the training graph, for validation and eval: the signal is cut
// into windows of a few thousand outputs (each with its receptive-field context), which run on
// every thread without gradients. Tapes stay small however long the signal, and live as long as
// the Predictor, so validating every epoch reuses their memory.
#pragma once

#include <span>
#include <vector>

#include "core/tape.h"
#include "nn/model.h"

namespace namk {

class Predictor {
 public:
  Predictor(const Model& model, int threads);

  // x: receptive_field() - 1 samples of context, then the n samples to predict for; out: n.
  void run(std::span<const float> x, std::span<const double> knobs, std::span<float> out);

 private:
  const Model& model_;
  std::vector<Tape> tapes_;
};

// Outputs per window: long enough to amortise the receptive field's context, short enough that a
// window's tape stays in the tens of megabytes for the standard model.
constexpr Index kPredictWindow = 8192;

}  // namespace namk
