// One optimiser step's gradient, data-parallel: each OpenMP thread owns a gradient buffer and takes
// a fixed share of the batch (schedule(static)), and the buffers are summed in thread order, so a
// seed and thread count always give the same bits. Each item has a tape of its own, because the
// MRSTFT loss couples the batch (train/mrstft_loss.h): every item's forward pass runs first, the
// batch's spectral norms are summed in item order, then every item's backward. Shared by the
// trainer and `nam-knobs bench`, so the benchmark measures exactly what training runs.
#pragma once

#include <memory>
#include <vector>

#include "core/tape.h"
#include "data/knob_dataset.h"
#include "nn/model.h"
#include "train/learning_config.h"
#include "train/mrstft_loss.h"

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
  // Knobs the smoothness term visits: the model's, or 0 when loss.knob_smoothness is off.
  Index smoothing_knobs() const {
    return weights_.knob_smoothness > 0 ? static_cast<Index>(model_.knobs().size()) : 0;
  }

 private:
  struct Worker {
    Vec grad;
    double loss_sum = 0;
  };
  const Model& model_;
  LossWeights weights_;
  std::vector<double> setting_energy_;
  std::vector<Worker> workers_;
  std::vector<std::unique_ptr<Tape>> tapes_;  // one per batch item, cleared and reused
  Vec grad_;
};

// One item's loss between the two phases: the terms of the item alone, and the MRSTFT terms that
// wait for the batch's norms (loss.mrstft, then loss.pre_emphasis_mrstft, each when weighted).
struct ItemLoss {
  Var local;  // 1x1: the weighted per-item terms; invalid when every such weight is 0
  struct Spectral {
    Scalar weight = 0;
    MrstftItem item;
  };
  std::vector<Spectral> spectral;
};

// Phase 1: prediction, target (1, T). setting_energy: the mean square of the item's knob setting
// (used by weights.setting_esr only).
ItemLoss item_loss_begin(Tape& t, Var prediction, Var target, const LossWeights& weights,
                         double setting_energy = 1);
// Phase 2 -> 1x1. batches[k]: the batch sums of every item's spectral[k]. The mean of these nodes
// over the batch is the batch loss, and so is the sum of their gradients divided by the batch size.
Var item_loss_finish(Tape& t, const ItemLoss& loss, const std::vector<MrstftBatch>& batches);

// Both phases for a batch of one item: prediction, target (1, T) -> 1x1.
Var item_loss(Tape& t, Var prediction, Var target, const LossWeights& weights, double setting_energy = 1);

// Mean square of each entry's training targets, for loss.setting_esr.
std::vector<double> setting_energies(const KnobDataset& data);

// Audio samples as a (1, n) node, converted to Scalar without a temporary.
Var audio_constant(Tape& t, std::span<const float> samples);

// Runs body(i, thread_index) for i in [0, n) on `threads` OpenMP threads, schedule(static), then
// rethrows the first exception (exceptions must not cross an OpenMP region's boundary).
template <class Body>
void parallel_for(int threads, Index n, Body body);

// first(i, thread_index) for every i, then between() on one thread, then second(i, thread_index)
// for every i, in one OpenMP region: both loops are schedule(static) over the same n, so item i
// runs on the same thread in both (OpenMP guarantees it), and a thread's buffers filled by first
// are its own in second. After an exception nothing further runs; the first one is rethrown.
template <class First, class Between, class Second>
void parallel_two_phase(int threads, Index n, First first, Between between, Second second);

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

template <class First, class Between, class Second>
void parallel_two_phase(int threads, Index n, First first, Between between, Second second) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  std::exception_ptr between_error;
  bool skip = false;  // written in the single region only, read after its barrier
#pragma omp parallel num_threads(threads)
  {
    const int id = omp_get_thread_num();
    auto& error = errors[static_cast<size_t>(id)];
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i) {
      if (error) continue;
      try {
        first(i, id);
      } catch (...) {
        error = std::current_exception();
      }
    }
    // The loop's implicit barrier: every thread's first phase is done.
#pragma omp single
    {
      for (auto& e : errors)
        if (e) skip = true;
      if (!skip) {
        try {
          between();
        } catch (...) {
          between_error = std::current_exception();
          skip = true;
        }
      }
    }
    // The single's implicit barrier: between() is done and skip is final.
#pragma omp for schedule(static)
    for (Index i = 0; i < n; ++i) {
      if (skip || error) continue;
      try {
        second(i, id);
      } catch (...) {
        error = std::current_exception();
      }
    }
  }
  if (between_error) std::rethrow_exception(between_error);
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace namk
