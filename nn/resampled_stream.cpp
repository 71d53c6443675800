// See resampled_stream.h. Why libsoxr (not libsamplerate): at a fixed ratio (147/160 for 44.1 kHz
// around 48 kHz) it runs precomputed polyphase and FFT filters, about a tenth of the cost of
// libsamplerate's fastest sinc, which recomputes its coefficients for every output sample and cost
// 62 % of a standard model's time in `nam-knobs bench --section plugin` (the issue allows 15 %).
// The price is latency: libsoxr filters in FFT blocks, so output arrives in bursts (docs/plugin.md).
//
// libsoxr grows its internal FIFOs on demand and can only be cleared by re-creating them, so the
// start state is "created, then one large call of silence": that call grows every FIFO beyond
// what any later step needs, and the same procedure, run again, is what reset() does.
#include "nn/resampled_stream.h"

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "base/error.h"

namespace namk {

namespace {
// LQ: 16-bit precision (96 dB stop band, no aliasing into the pass band since the stop band starts
// at the lower Nyquist), pass band to 0.676 of the lower Nyquist (14.9 kHz at 44.1 kHz, more than a
// guitar cabinet lets through), linear phase. Its filters are the shortest of libsoxr's sinc
// recipes, so its bursts, and the latency, are the smallest: 235 samples at 44.1 kHz against 1755
// for HQ; minimum and intermediate phase shorten no burst and add 175-413 samples of buffering.
constexpr unsigned long kRecipe = SOXR_LQ | SOXR_LINEAR_PHASE;
// libsoxr's smallest FFT (2^8, the bottom of its allowed range; the default is 2^10) halves the
// burst, and so the latency, at no measurable cost.
constexpr unsigned kLog2MinDft = 8;
// The converters see at most kStep host samples per call, and the start state is one call of
// kWarmSamples of silence: that grows every libsoxr FIFO past anything a later call needs (they
// compact once 16 KiB is consumed, hold under 2000 samples at 192 kHz, and take at most kStep at a
// time, times the ratio), so no later call grows one; the allocation-counting tests hold this.
// Both are fixed, not taken from the host's block, so a render and a plugin at another block size
// start in the same state and agree sample for sample.
constexpr int kStep = 4096;
constexpr long kWarmSamples = 32768;
// Host samples of single-sample and kStep calls over which the worst FIFO deficit is measured:
// many times the converters' longest burst.
constexpr long kMeasureSamples = 65536;

soxr* make_converter(double from, double to) {
  soxr_error_t error = nullptr;
  const soxr_quality_spec_t quality = soxr_quality_spec(kRecipe, 0);
  soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  runtime.log2_min_dft_size = kLog2MinDft;
  soxr* s = soxr_create(from, to, 1, &error, nullptr, &quality, &runtime);
  if (!s || error) {
    soxr_delete(s);
    throw Error(std::string("libsoxr: cannot convert ") + std::to_string(from) + " Hz to " + std::to_string(to) +
                " Hz: " + (error ? error : "no converter"));
  }
  return s;
}

// Runs `in` through the converter into out (capacity out_cap); returns the samples written and
// sets *taken to the samples consumed (all of them while out_cap has room, which the callers'
// capacities ensure; the constructor checks).
size_t convert(soxr* s, const float* in, size_t n, float* out, size_t out_cap, size_t* taken) noexcept {
  size_t done_in = 0, done_out = 0;
  if (soxr_process(s, in, n, &done_in, out, out_cap, &done_out) != nullptr) done_in = done_out = 0;
  *taken = done_in;
  return done_out;
}

void destroy(soxr*& s) noexcept {
  soxr_delete(s);
  s = nullptr;
}
}  // namespace

int ResampledStream::model_block(double model_rate, double host_rate, int host_max_block) {
  const double steps = std::min(std::max(host_max_block, 1), kStep) * (model_rate / host_rate);
  return static_cast<int>(std::ceil(std::min(steps, 1e6))) + 256;
}

ResampledStream::ResampledStream(Model& model, double host_rate, int host_max_block)
    : model_(model), host_rate_(host_rate), to_model_(model.sample_rate() / host_rate), max_block_(host_max_block) {
  if (!(host_rate > 0) || host_max_block < 1)
    throw UsageError("resampling: host rate and block must be positive, found " + std::to_string(host_rate) +
                     " Hz, block " + std::to_string(host_max_block));
  if (!(to_model_ <= 256 && to_model_ >= 1.0 / 256))
    throw UsageError("resampling: cannot convert " + std::to_string(host_rate) + " Hz to the model's " +
                     std::to_string(model.sample_rate()) + " Hz (a ratio beyond 256)");
  up_ = make_converter(host_rate, model.sample_rate());
  try {
    down_ = make_converter(model.sample_rate(), host_rate);
  } catch (...) {
    destroy(up_);
    throw;
  }
  try {
    // Scratch for the start state's silence and for measuring: as large as the largest burst.
    const double widest = std::max(1.0, to_model_);
    const long warm = kWarmSamples;
    const int step_max = std::min(max_block_, kStep);
    const size_t scratch = static_cast<size_t>(std::ceil(2 * warm * widest)) + 4096;
    model_in_.assign(scratch, 0.0f);
    model_out_.assign(scratch, 0.0f);
    fifo_.assign(scratch, 0.0f);

    // The FIFO must never run dry: from the start state, the worst deficit (host samples asked for
    // minus samples released) over single-sample steps and max-block steps is the pre-fill. Bursts
    // bound the buffers below.
    long deficit = 0;
    size_t up_burst = 0, down_burst = 0;
    for (const int step : {1, step_max}) {
      latency_ = 0;
      start();
      if (broken_) throw Error("libsoxr: cannot reset a converter");
      // Counted from creation: the start state's silence was asked for and partly released.
      long asked = warm, released = warm_released_;
      deficit = std::max(deficit, asked - released);
      const long steps = kMeasureSamples / step + 64;
      for (long i = 0; i < steps; ++i) {
        size_t taken = 0, taken_down = 0;
        const size_t m = convert(up_, fifo_.data(), static_cast<size_t>(step), model_in_.data(), scratch, &taken);
        const size_t made = convert(down_, fifo_.data(), m, model_out_.data(), scratch, &taken_down);
        if (taken != static_cast<size_t>(step) || taken_down != m)
          throw Error("libsoxr: a converter did not take its whole input");
        asked += step;
        released += static_cast<long>(made);
        deficit = std::max(deficit, asked - released);
        up_burst = std::max(up_burst, m);
        down_burst = std::max(down_burst, made);
      }
    }
    latency_ = static_cast<int>(deficit);
    // Buffers for one step: the step itself at the model's rate plus the largest burst seen, twice
    // over for splits the measurement did not try. The start state's silence still fits.
    const size_t model_cap = static_cast<size_t>(std::ceil(step_max * to_model_)) + 2 * up_burst + 4096;
    const size_t warm_cap = static_cast<size_t>(std::ceil(warm * widest)) + 4096;
    model_in_.assign(std::max(model_cap, warm_cap), 0.0f);
    model_out_.assign(std::max(model_cap, warm_cap), 0.0f);
    scalar_in_.assign(model_cap, Scalar(0));
    scalar_out_.assign(model_cap, Scalar(0));
    fifo_.assign(std::max(static_cast<size_t>(latency_ + step_max) + 2 * down_burst + 4096, warm_cap), 0.0f);
    start();
    if (broken_) throw Error("libsoxr: cannot reset a converter");
  } catch (...) {
    destroy(up_);
    destroy(down_);
    throw;
  }
}

ResampledStream::~ResampledStream() {
  destroy(up_);
  destroy(down_);
}

// The start state: fresh converters (soxr_clear re-creates them), then one call of warm silence
// that grows their FIFOs; the silence goes to the down converter directly (the model's output for
// silence need not be silence), and what it releases is counted against the FIFO's pre-fill.
void ResampledStream::start() noexcept {
  broken_ = soxr_clear(up_) != nullptr || soxr_clear(down_) != nullptr;
  std::fill(fifo_.begin(), fifo_.end(), 0.0f);
  fifo_count_ = 0;
  dirty_ = false;
  if (broken_) return;
  // fifo_ is all zeros here and doubles as the silence; model_in_ and model_out_ take the output.
  const long warm = kWarmSamples;
  size_t taken = 0;
  const size_t m = convert(up_, fifo_.data(), static_cast<size_t>(warm), model_in_.data(), model_in_.size(), &taken);
  const size_t made = convert(down_, fifo_.data(), m, model_out_.data(), model_out_.size(), &taken);
  // Host samples owed so far: the pre-fill, less the silence not yet answered.
  warm_released_ = static_cast<long>(made);
  fifo_count_ = static_cast<size_t>(std::max(0L, latency_ + warm_released_ - warm));
}

void ResampledStream::reset() noexcept {
  if (dirty_ || broken_) start();
}

void ResampledStream::process(const float* in, float* out, int n) noexcept {
  dirty_ = true;
  if (broken_) {
    std::fill_n(out, n, 0.0f);
    return;
  }
  while (n > 0) {
    const int step = std::min({n, max_block_, kStep});
    process_step(in, out, step);
    in += step;
    out += step;
    n -= step;
  }
}

void ResampledStream::process_step(const float* in, float* out, int n) noexcept {
  const size_t cap = scalar_in_.size();
  size_t taken = 0;
  // Everything is read from `in` before anything is written to `out`, so they may alias.
  const size_t m = convert(up_, in, static_cast<size_t>(n), model_in_.data(), cap, &taken);
  std::copy_n(model_in_.data(), m, scalar_in_.data());
  model_.process(scalar_in_.data(), scalar_out_.data(), static_cast<int>(m));
  std::copy_n(scalar_out_.data(), m, model_out_.data());
  const size_t room = fifo_.size() - fifo_count_;
  fifo_count_ += convert(down_, model_out_.data(), m, fifo_.data() + fifo_count_, room, &taken);
  // The pre-fill makes fifo_count_ >= n; zeros would stand in for a shortfall rather than stale data.
  const size_t take = std::min(fifo_count_, static_cast<size_t>(n));
  std::copy_n(fifo_.data(), take, out);
  std::fill(out + take, out + n, 0.0f);
  std::memmove(fifo_.data(), fifo_.data() + take, (fifo_count_ - take) * sizeof(float));
  fifo_count_ -= take;
}

}  // namespace namk
