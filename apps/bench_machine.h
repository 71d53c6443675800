// What the machine can do at most, for `nam-knobs bench` to say how close the kernels get:
// single-precision FMA peak = cores x FMA units x SIMD lanes x 2 FLOPs x clock. The lanes are the
// widest vector ISA the CPU supports (and, separately, the one this build was compiled for); the
// clock is an assumption, printed with every figure, because a VM's reported MHz is meaningless;
// beside it the bench measures the clock it actually runs at (a chain of dependent integer
// multiplies, three cycles each on every recent x86-64 core) and gives the peak at that clock too.
#pragma once

#include <string>

namespace namk::app {

struct Machine {
  int cores = 1;
  std::string cpu_isa;      // "avx512", "avx2", "sse"
  std::string build_isa;    // the widest this binary was compiled for
  int cpu_lanes = 4;        // float32 lanes of cpu_isa
  int build_lanes = 4;
  int fma_units = 2;        // per core
  double clock_ghz = 4.14;  // assumed
  double measured_ghz = 0;  // 0: not measured (not x86-64)

  double peak_gflops_per_core() const { return fma_units * cpu_lanes * 2.0 * clock_ghz; }
  double measured_peak_gflops_per_core() const { return fma_units * cpu_lanes * 2.0 * measured_ghz; }
};

Machine detect_machine(double clock_ghz);
// The clock this thread runs at now, in GHz (best of a few 50 ms measurements); 0 if unknown.
double measure_clock_ghz();

}  // namespace namk::app
