// One optimiser step's gradient, data-parallel: each OpenMP thread owns a tape and a gradient
// buffer and takes a fixed share of the batch (schedule(static)), and the buffers are summed in
// thread order, so a seed and thread count always give the same bits. Shared by the trainer and
// `nam-knobs bench`, so the benchmark measures exactly what training runs.
#pragma once

#include <vector>

#include "core/tape.h"
#include "data/knob_dataset.h"
#include "nn/model.h"
#include "train/learning_config.h"

namespace namk {

class TrainStep {
 public:
  // setting_energy[e]: mean square of entry e's training targets (for loss.setting_esr); may be
  // empty when that weight is 0.
  TrainStep(const Model& model, const LossWeights& weights, int threads,
            std::vector<double> setting_energy = {});

  // The gradient of the batch's mean loss, left in grad(); returns that mean loss.
  double gradient(const std::vector<BatchItem>& batch);
  Vec& grad() { return grad_; }
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  struct Worker {
    Tape tape;
    Vec grad;
    double loss_sum = 0;
  };
  const Model& model_;
  LossWeights weights_;
  std::vector<double> setting_energy_;
  std::vector<Worker> workers_;
  Vec grad_;
};

// The weighted sum of the configured loss terms for one item: prediction, target (1, T) -> 1x1.
// setting_energy: the mean square of the item's knob setting (used by weights.setting_esr only).
Var item_loss(Tape& t, Var prediction, Var target, const LossWeights& weights, double setting_energy = 1);

// Mean square of each entry's training targets, for loss.setting_esr.
std::vector<double> setting_energies(const KnobDataset& data);

// Audio samples as a (1, n) node, converted to Scalar without a temporary.
Var audio_constant(Tape& t, std::span<const float> samples);

// Runs body(i, thread_index) for i in [0, n) on `threads` OpenMP threads, schedule(static), then
// rethrows the first exception (exceptions must not cross an OpenMP region's boundary).
template <class Body>
void parallel_for(int threads, Index n, Body body);

}  // namespace namk

#include <omp.h>

#include <exception>

namespace namk {

template <class Body>
void parallel_for(int threads, Index n, Body body) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
#pragma omp parallel num_threads(threads)
  {
    const int id = omp_get_thread_num();
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i) {
      if (errors[static_cast<size_t>(id)]) continue;
      try {
        body(i, id);
      } catch (...) {
        errors[static_cast<size_t>(id)] = std::current_exception();
      }
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace namk
