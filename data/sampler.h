// Training items for each epoch: windows of ny targets at fresh random offsets in every training
// segment, shuffled across entries (so one batch mixes knob settings). Reproducible and
// resumable: an epoch's items depend only on (seed, epoch index), so a checkpoint that stores both
// resumes the exact sequence. Platform-independent (data/rng.h). Items point into the dataset.
#pragma once

#include <cstdint>
#include <vector>

#include "data/knob_dataset.h"

namespace namk {

class WindowSampler {
 public:
  // `data` must outlive the sampler and the items it hands out.
  WindowSampler(const KnobDataset& data, std::uint64_t seed);

  std::uint64_t seed() const { return seed_; }
  // floor(length / ny) windows per training segment: about one pass over the training audio.
  Index items_per_epoch() const { return items_per_epoch_; }
  // Shuffled items of epoch `epoch` (0, 1, 2...): ny targets each.
  std::vector<BatchItem> epoch(std::uint64_t epoch) const;
  // Every validation segment whole, in dataset order.
  std::vector<BatchItem> validation() const;

 private:
  const KnobDataset& data_;
  std::uint64_t seed_;
  Index items_per_epoch_ = 0;
};

}  // namespace namk
