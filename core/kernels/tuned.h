// Whether the kernels' dispatchers may take their tuned paths (the default) or must all call the
// readable reference loops (CMake: -DNAMK_TUNED_KERNELS=OFF). The reference build runs the same
// tests, so every fast path is checked against the loops it replaces, on any CPU.
#pragma once

#ifndef NAMK_TUNED_KERNELS
#define NAMK_TUNED_KERNELS 1
#endif

namespace namk {

inline constexpr bool kTunedKernels = NAMK_TUNED_KERNELS != 0;

}  // namespace namk
