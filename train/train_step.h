// One optimiser step's gradient, data-parallel over OpenMP threads and, optionally, processes
// (train/distributed.h). Each item of the batch has a tape and a gradient buffer of its own, and the
// items' gradients are summed in item order once every one is done, so the step's numbers do not
// depend on how the items were shared out: one seed gives the same bits at any thread count and any
// number of ranks. Because the MRSTFT loss couples the batch (train/mrstft_loss.h), every item's
// forward pass runs first, the batch's spectral norms are summed in item order, then every item's
// backward. Across ranks, each rank runs its contiguous share of the items and the per-item numbers
// (the spectral norms, then the gradients and losses) are gathered before they are summed. Shared by
// the trainer and `nam-knobs bench`, so the benchmark measures exactly what training runs.
#pragma once

#include <memory>
#include <vector>

#include "core/tape.h"
#include "data/knob_dataset.h"
#include "nn/model.h"
#include "train/distributed.h"
#include "train/learning_config.h"
#include "train/mrstft_loss.h"

namespace namk {

class TrainStep {
 public:
  // setting_energy[e]: mean square of entry e's training targets (for loss.setting_esr); may be
  // empty when that weight is 0. ranks: the processes that share each batch (null: this one alone);
  // it must outlive the TrainStep.
  TrainStep(const Model& model, const LossWeights& weights, int threads,
            std::vector<double> setting_energy = {}, const Distributed* ranks = nullptr);

  // The gradient of the batch's mean loss, left in grad(); returns that mean loss. Every rank passes
  // the whole batch, computes its share and ends with the same grad() and loss.
  double gradient(const std::vector<BatchItem>& batch);
  Vec& grad() { return grad_; }
  int threads() const { return threads_; }
  // Knobs the smoothness term visits: the model's, or 0 when loss.knob_smoothness is off.
  Index smoothing_knobs() const {
    return weights_.knob_smoothness > 0 ? static_cast<Index>(model_.knobs().size()) : 0;
  }

  // What the gathers between ranks cost so far (bench): bytes each rank received, and seconds spent
  // in them (waiting for the slowest rank included).
  struct GatherCost {
    double bytes = 0, seconds = 0;
    int64_t steps = 0;
  };
  const GatherCost& gather_cost() const { return gather_cost_; }

 private:
  const Model& model_;
  LossWeights weights_;
  std::vector<double> setting_energy_;
  int threads_;
  Distributed single_rank_;  // ranks_ when none was given
  const Distributed& ranks_;
  std::vector<std::unique_ptr<Tape>> tapes_;  // one per item of this rank, cleared and reused
  Mat item_grad_;   // (params, this rank's items): each item's gradient alone
  Mat batch_grad_;  // (params, batch): every item's, gathered in item order
  Vec grad_;
  GatherCost gather_cost_;
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
// for every i, in one OpenMP region. Each thread takes one contiguous range of items, the same in
// both phases, so a thread's buffers filled by first are its own in second; second walks its range
// backwards, so it starts on the item first finished last, whose tape is still partly in cache.
// After an exception nothing further runs; the first one is rethrown.
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
    const int id = omp_get_thread_num(), team = omp_get_num_threads();
    const Index begin = n * id / team, end = n * (id + 1) / team;
    auto& error = errors[static_cast<size_t>(id)];
    for (Index i = begin; i < end; ++i) {
      if (error) continue;
      try {
        first(i, id);
      } catch (...) {
        error = std::current_exception();
      }
    }
#pragma omp barrier
    // Every thread's first phase is done.
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
    for (Index i = end - 1; i >= begin; --i) {
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
