// See bench_machine.h.
#include "apps/bench_machine.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace namk::app {

Machine detect_machine(double clock_ghz) {
  Machine m;
  m.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  m.clock_ghz = clock_ghz;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) {
    m.cpu_isa = "avx512";
    m.cpu_lanes = 16;
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    m.cpu_isa = "avx2";
    m.cpu_lanes = 8;
  } else {
    m.cpu_isa = "sse";
    m.cpu_lanes = 4;
    m.fma_units = 1;  // no FMA: one add and one multiply per cycle, counted as one unit
  }
#if defined(__AVX512F__)
  m.build_isa = "avx512";
  m.build_lanes = 16;
#elif defined(__AVX2__)
  m.build_isa = "avx2";
  m.build_lanes = 8;
#else
  m.build_isa = "sse";
  m.build_lanes = 4;
#endif
  return m;
}

double measure_clock_ghz() {
#if defined(__x86_64__)
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    const long iterations = 20'000'000;
    long x = 3;
    const auto t0 = std::chrono::steady_clock::now();
    // Four dependent multiplies per iteration: twelve cycles (imul's latency is 3 on every x86-64
    // core of the last decade), while the loop counter runs alongside. Not adds of a constant:
    // Intel's cores since Golden Cove fold those at rename, and a chain of them read 8 to 11 GHz
    // on a 2.6 GHz Xeon.
    __asm__ volatile(
        "mov %1, %%rcx\n"
        "1:\n"
        "imul %0, %0\n"
        "imul %0, %0\n"
        "imul %0, %0\n"
        "imul %0, %0\n"
        "dec %%rcx\n"
        "jnz 1b\n"
        : "+r"(x)
        : "r"(iterations)
        : "rcx", "cc");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 12.0 * static_cast<double>(iterations) / seconds * 1e-9);
  }
  return best;
#else
  return 0;
#endif
}

}  // namespace namk::app
