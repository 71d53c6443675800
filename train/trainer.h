// The trainer: data-parallel training of one model on a knob dataset. Every batch item has a tape
// and a gradient of its own, shared out to OpenMP threads and, when several processes train
// together (TrainOptions::ranks), to ranks; the items' gradients are summed in item order, so one
// seed gives bit-identical runs at any thread and rank count. Every rank runs the same loop on the
// same numbers; rank 0 alone writes the log and checkpoints. It validates every epoch
// (ESR per knob setting), keeps the best weights, checkpoints atomically, resumes exactly, guards
// against NaN, and stops early on patience or a target ESR. It writes no model file itself: the
// caller (nam-knobs train) decides what to save from the result.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "data/knob_dataset.h"
#include "nn/model.h"
#include "train/distributed.h"
#include "train/learning_config.h"
#include "train/progress.h"

namespace namk {

struct EvalResult;

// What the trainer tells TrainOptions::after_epoch once an epoch's log line is written.
struct EpochDone {
  int64_t epoch = 0;       // 1-based
  int64_t epochs = 0;      // planned
  int64_t best_epoch = 0;  // 1-based, so far
  const EvalResult* validation = nullptr;  // this epoch's, per trained setting
  std::string log_path;    // training_log.csv
};

struct TrainOptions {
  std::string out_dir;           // checkpoint.bin and training_log.csv go here
  bool resume = false;           // continue from out_dir/checkpoint.bin when it exists
  uint64_t config_hash = 0;      // fingerprint of the run's configs, stored in checkpoints
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by Ctrl-C): checkpoint and return
  // Test hook: return after this many optimiser steps in total without finishing (0: off), as a
  // kill would, but only after the last completed checkpoint was written.
  int64_t stop_after_steps = 0;
  // Called after every epoch (e.g. to rewrite report.html), on rank 0 only; its time counts in the
  // run's time.
  std::function<void(const EpochDone&)> after_epoch;
  // Test hook: called after every optimiser step with the steps taken so far in this process (a
  // test kills one rank there).
  std::function<void(int64_t)> after_step;
  // The processes training this model together (null: this one alone). Each computes its share of
  // every batch; rank 0 alone writes into out_dir, and only its checkpoint is read to resume.
  const Distributed* ranks = nullptr;
};

struct EntryEsr {
  int entry = 0;           // index into KnobDataset::entries
  std::vector<double> knobs;
  double esr = 0;
};

struct EvalResult {
  double mean_esr = 0;  // mean over entries of each entry's ESR
  std::vector<EntryEsr> entries;
};

struct TrainResult {
  int64_t epochs_run = 0;
  int64_t best_epoch = -1;
  double best_validation_esr = -1;
  bool interrupted = false;  // stopped by TrainOptions::stop (or the test hook)
  std::string stop_reason;   // "epochs", "patience", "target ESR", "interrupted"
  EvalResult validation;     // of the best weights
  EvalResult test;           // of the best weights on held-out ("split": "test") settings
  double samples_per_second = 0;  // training targets per second, over the whole run
  // Stability: max - min of the validation ESR over the last late_epochs epochs of the log
  // (kLateEpochs, or all of them when fewer ran), including epochs run before a resume.
  double late_validation_spread = 0;
  int64_t late_epochs = 0;
};

inline constexpr int64_t kLateEpochs = 20;

// Trains `model` in place; on return model.params() holds the best weights (by validation ESR).
// Interrupted by TrainOptions::stop, it returns with interrupted set and, when an epoch was
// validated, the best weights so far in model.params() and best_validation_esr >= 0; after the
// test hook's simulated kill the weights are whatever the step left.
TrainResult train(Model& model, const KnobDataset& data, const LearningConfig& config,
                  const TrainOptions& options, Progress& progress);

// ESR of `model` on whole segments (validation or test), per entry, using `threads` threads and,
// given ranks, a share of the items on each rank (every rank gets the whole result). Each item's
// squared error and energy are summed alone, then per entry in item order: the same bits however
// the items were shared.
EvalResult evaluate(const Model& model, const KnobDataset& data,
                    const std::vector<BatchItem>& items, int threads, const Distributed* ranks = nullptr);

// "gain=5 tone=2.5": a knob setting as users write it.
std::string knob_label(const KnobDataset& data, const std::vector<double>& values);

// The number of threads a config asks for (0: every core).
int resolve_threads(int64_t requested);

}  // namespace namk
