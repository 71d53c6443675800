// Runs a Model at its own sample rate inside a stream at another rate (a 44.1 kHz host, a 48 kHz
// model): host audio is resampled to the model's rate, processed, resampled back, and delivered
// through a FIFO pre-filled with latency() zeros, so every call returns exactly n samples, delayed
// by latency() host samples. Built only with NAMK_RESAMPLE (libsoxr). Memory is allocated in the
// constructor (and by reset() after audio has run); process() allocates, locks and throws nothing.
#pragma once

#include <vector>

#include "nn/model.h"

struct soxr;  // libsoxr's converter, kept out of this header

namespace namk {

class ResampledStream {
 public:
  // The model must be prepared (any max_block; process() splits to fit). host_max_block: the
  // largest n a process() call handles in one step (larger calls are split). Throws UsageError
  // for a non-positive rate or block or a ratio beyond 256, Error when libsoxr fails.
  ResampledStream(Model& model, double host_rate, int host_max_block);
  ~ResampledStream();
  ResampledStream(const ResampledStream&) = delete;
  ResampledStream& operator=(const ResampledStream&) = delete;

  // The max_block to prepare the model with, before constructing the stream: one step's worth at
  // the model's rate and room for the converters' bursts. A model prepared for the host's block
  // instead would see every step split (70 samples as 64 + 6 at 44.1 kHz around 48 kHz), and its
  // fixed cost per block twice.
  static int model_block(double model_rate, double host_rate, int host_max_block);
  // Host samples between an input sample and the output it causes (the FIFO's pre-fill).
  int latency() const { return latency_; }
  double host_rate() const { return host_rate_; }
  // Back to the state the constructor left (the model's own state is the caller's). A no-op, and
  // real-time safe, when no audio has run since the constructor or the last reset(); otherwise it
  // re-creates the converters, which allocates (libsoxr has no other way to clear them).
  void reset() noexcept;
  // in and out may be the same buffer.
  void process(const float* in, float* out, int n) noexcept;

 private:
  void start() noexcept;
  void process_step(const float* in, float* out, int n) noexcept;

  Model& model_;
  double host_rate_, to_model_;  // to_model_: model rate / host rate
  int max_block_, latency_ = 0;
  soxr *up_ = nullptr, *down_ = nullptr;
  long warm_released_ = 0;                        // host samples the start state's silence released
  bool dirty_ = false;                            // audio has run since the last start()
  bool broken_ = false;                           // a converter failed to re-create: silence
  std::vector<float> model_in_, model_out_;       // one step at the model's rate
  std::vector<Scalar> scalar_in_, scalar_out_;    // the same as the model's Scalar
  std::vector<float> fifo_;                       // host-rate output not yet delivered
  size_t fifo_count_ = 0;
};

}  // namespace namk
