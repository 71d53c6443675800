// Checkpoints: everything needed to continue a training run exactly where it stopped — weights,
// Adam state, position (epoch and step within it), the best weights so far and the bookkeeping of
// early stopping and the NaN guard. The batch order needs no RNG state: an epoch's items depend only
// on (seed, epoch), so the position is enough. Written atomically (temp file + rename), so a kill
// at any moment leaves the previous checkpoint intact. Binary, little-endian, versioned, checked by
// a content hash so a truncated or foreign file is rejected with a clear error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/fnv1a.h"  // fnv1a: the fingerprints TrainState carries
#include "core/scalar.h"
#include "train/adam.h"

namespace namk {

struct TrainState {
  uint64_t config_hash = 0;  // of the model, data and learning configs: resume only the same run
  int64_t epoch = 0;         // the epoch in progress (0-based)
  int64_t step_in_epoch = 0; // optimiser steps of that epoch already taken
  double epoch_loss_sum = 0; // sum of step losses so far in that epoch (for its summary line)
  double lr_scale = 1;       // halved by the NaN guard
  int64_t skipped_steps = 0; // non-finite steps skipped so far
  double best_esr = -1;      // best validation ESR; < 0 before the first validation
  int64_t best_epoch = -1;
  int64_t epochs_without_improvement = 0;
  Vec params, best_params;
  Vec ema_params;            // moving average of params; empty when the config has none
  double elapsed_s = 0;      // training wall time of the finished runs before this one
  AdamState adam;
};

void save_checkpoint(const std::string& path, const TrainState& state);
// Throws InputError naming the file when it is missing, truncated, corrupt or of another version.
TrainState load_checkpoint(const std::string& path);
// The same in two parts, so one process can read the file and send its bytes to the others
// (train/distributed.h): the file's bytes, and the state they hold (`path` names them in errors).
std::vector<char> read_checkpoint_file(const std::string& path);
TrainState parse_checkpoint(const std::string& path, const std::vector<char>& bytes);

}  // namespace namk
