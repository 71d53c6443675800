// See predictor.h.
#include "train/predictor.h"

#include "base/error.h"
#include "train/train_step.h"

namespace namk {

Predictor::Predictor(const Model& model, int threads) : model_(model), tapes_(static_cast<size_t>(threads)) {}

void Predictor::run(std::span<const float> x, std::span<const double> knobs, std::span<float> out) {
  const Index nx = model_.receptive_field(), n = static_cast<Index>(out.size());
  if (static_cast<Index>(x.size()) != n + nx - 1)
    throw UsageError("predict: expected " + std::to_string(n + nx - 1) + " input samples for " +
                     std::to_string(n) + " outputs, found " + std::to_string(x.size()));
  const Index windows = (n + kPredictWindow - 1) / kPredictWindow;
  parallel_for(static_cast<int>(tapes_.size()), windows, [&](Index w, int id) {
    Tape& t = tapes_[static_cast<size_t>(id)];
    t.clear();
    const Index begin = w * kPredictWindow, length = std::min(kPredictWindow, n - begin);
    Var in = audio_constant(t, x.subspan(static_cast<size_t>(begin), static_cast<size_t>(length + nx - 1)));
    Var y = model_.forward(t, in, knobs, nullptr);
    Eigen::Map<Eigen::RowVectorXf>(out.data() + begin, length) = t.value(y).template cast<float>();
  });
}

}  // namespace namk
