// Seeded random numbers that give the same sequence on every platform: std::mt19937_64's output
// is fixed by the standard, but std::uniform_*_distribution and std::shuffle are not, so the few
// draws we need are written out here (used by the sampler and the demo amp).
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace namk {

using Rng = std::mt19937_64;

// A generator for stream `stream` of `seed` (e.g. one per epoch), independent of the others.
inline Rng make_rng(std::uint64_t seed, std::uint64_t stream) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32),
                    static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)};
  return Rng(seq);
}

// Uniform in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

inline double uniform(Rng& rng, double lo, double hi) { return lo + (hi - lo) * uniform01(rng); }

// Uniform integer in [0, n), n > 0, without modulo bias (rejection of the short last block).
inline std::uint64_t uniform_index(Rng& rng, std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t r;
  do {
    r = rng();
  } while (r >= limit);
  return r % n;
}

// Fisher-Yates, back to front.
template <class T>
void shuffle(std::vector<T>& items, Rng& rng) {
  for (std::uint64_t i = items.size(); i > 1; --i)
    std::swap(items[i - 1], items[uniform_index(rng, i)]);
}

}  // namespace namk
