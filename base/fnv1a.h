// FNV-1a, 64 bit: a small stable hash for fingerprints and integrity checks (training configs,
// checkpoints, the audio cache's record of its source). Not for anything an attacker chooses.
#pragma once

#include <cstddef>
#include <cstdint>

namespace namk {

inline constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ull;

inline uint64_t fnv1a(const void* data, size_t size, uint64_t hash = kFnv1aOffset) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 0x100000001b3ull;
  return hash;
}

}  // namespace namk
