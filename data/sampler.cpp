// See sampler.h.
#include "data/sampler.h"

#include "data/rng.h"

namespace namk {

WindowSampler::WindowSampler(const KnobDataset& data, std::uint64_t seed)
    : data_(data), seed_(seed) {
  for (const auto& s : data_.train) items_per_epoch_ += s.length / data_.ny;
}

std::vector<BatchItem> WindowSampler::epoch(std::uint64_t epoch) const {
  Rng rng = make_rng(seed_, epoch);
  std::vector<BatchItem> items;
  items.reserve(static_cast<size_t>(items_per_epoch_));
  for (const auto& s : data_.train) {
    // Offsets are drawn independently (not a jittered grid): windows may overlap, and over epochs
    // every target sample is equally likely to be seen.
    const auto positions = static_cast<std::uint64_t>(s.length - data_.ny + 1);
    for (Index i = 0; i < s.length / data_.ny; ++i)
      items.push_back(data_.item(s, static_cast<Index>(uniform_index(rng, positions)), data_.ny));
  }
  shuffle(items, rng);
  return items;
}

std::vector<BatchItem> WindowSampler::validation() const {
  std::vector<BatchItem> items;
  for (const auto& s : data_.validation) items.push_back(data_.whole(s));
  return items;
}

}  // namespace namk
