// Flush-to-zero for the audio path. Decaying signals (a reverb-like tail, a gate closing) reach
// denormal floats, which cost up to 100x per operation on x86; a model's output never needs them.
// ScopedFlushDenormals sets FTZ and DAZ for the current thread and restores the previous mode, so a
// host's own setting survives a call into process().
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NAMK_HAVE_MXCSR 1
#endif

namespace namk {

class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals() {
#ifdef NAMK_HAVE_MXCSR
    saved_ = _mm_getcsr();
    // 0x8000: flush-to-zero (results); 0x0040: denormals-are-zero (inputs).
    _mm_setcsr(saved_ | 0x8040u);
#endif
  }
  ~ScopedFlushDenormals() {
#ifdef NAMK_HAVE_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace namk
