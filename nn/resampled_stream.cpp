// See resampled_stream.h. Why libsamplerate (not libsoxr): its src_process() works in buffers
// allocated by src_new(), so the audio thread never allocates, and its output count after N inputs
// depends only on N, not on how the input was split into calls, which makes the FIFO's worst
// deficit, and so the latency, a fixed number measured once here.
#include "nn/resampled_stream.h"

#include <samplerate.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"

namespace namk {

namespace {
// libsamplerate's fastest sinc: 97 dB signal-to-noise like its better converters, with 80 % of the
// lower Nyquist passed (17.6 kHz at 44.1 kHz), more than a guitar cabinet lets through; the
// medium converter (90 %) cost about three times as much in `nam-knobs bench --section plugin`.
constexpr int kConverter = SRC_SINC_FASTEST;

SRC_STATE* make_converter() {
  int error = 0;
  SRC_STATE* s = src_new(kConverter, 1, &error);
  if (!s) throw Error(std::string("libsamplerate: ") + src_strerror(error));
  return s;
}

// Runs `in` through the converter into out (capacity out_cap); returns the samples written. The
// capacity is sized so the whole input is always taken in one call.
long convert(SRC_STATE* s, double ratio, const float* in, long n, float* out, long out_cap) noexcept {
  SRC_DATA d{};
  d.data_in = in;
  d.input_frames = n;
  d.data_out = out;
  d.output_frames = out_cap;
  d.src_ratio = ratio;
  d.end_of_input = 0;
  if (src_process(s, &d) != 0) return 0;
  return d.output_frames_gen;
}
}  // namespace

ResampledStream::ResampledStream(Model& model, double host_rate, int host_max_block)
    : model_(model), host_rate_(host_rate), to_model_(model.sample_rate() / host_rate), max_block_(host_max_block) {
  if (!(host_rate > 0) || host_max_block < 1)
    throw UsageError("resampling: host rate and block must be positive, found " + std::to_string(host_rate) +
                     " Hz, block " + std::to_string(host_max_block));
  if (!src_is_valid_ratio(to_model_) || !src_is_valid_ratio(1.0 / to_model_))
    throw UsageError("resampling: cannot convert " + std::to_string(host_rate) + " Hz to the model's " +
                     std::to_string(model.sample_rate()) + " Hz (ratio beyond libsamplerate's 256)");
  up_ = make_converter();
  try {
    down_ = make_converter();
  } catch (...) {
    src_delete(up_);
    throw;
  }
  // A converter holds back up to its filter's half length; the margin covers what it releases at
  // once when that fills.
  const size_t model_cap = static_cast<size_t>(std::ceil(max_block_ * to_model_)) + 4096;
  model_in_.assign(model_cap, 0.0f);
  model_out_.assign(model_cap, 0.0f);
  scalar_in_.assign(model_cap, Scalar(0));
  scalar_out_.assign(model_cap, Scalar(0));

  // The FIFO must never run dry: after N host samples in, the converters have released out(N) host
  // samples, a function of N alone (see above), so the worst deficit N - out(N) over a stretch of
  // single-sample steps longer than both filters is the pre-fill that always suffices.
  const long steps = 8192 + static_cast<long>(4 * std::max(to_model_, 1.0 / to_model_)) * 1024;
  long made = 0, deficit = 0;
  const float zero = 0.0f;
  for (long i = 1; i <= steps; ++i) {
    const long m = convert(up_, to_model_, &zero, 1, model_in_.data(), static_cast<long>(model_cap));
    made += convert(down_, 1.0 / to_model_, model_in_.data(), m, model_out_.data(), static_cast<long>(model_cap));
    deficit = std::max(deficit, i - made);
  }
  latency_ = static_cast<int>(deficit);
  fifo_.assign(static_cast<size_t>(latency_ + max_block_) + model_cap, 0.0f);
  reset();
}

ResampledStream::~ResampledStream() {
  src_delete(up_);
  src_delete(down_);
}

void ResampledStream::reset() noexcept {
  src_reset(up_);
  src_reset(down_);
  std::fill(fifo_.begin(), fifo_.end(), 0.0f);
  fifo_count_ = static_cast<size_t>(latency_);
}

void ResampledStream::process(const float* in, float* out, int n) noexcept {
  while (n > 0) {
    const int step = std::min(n, max_block_);
    process_step(in, out, step);
    in += step;
    out += step;
    n -= step;
  }
}

void ResampledStream::process_step(const float* in, float* out, int n) noexcept {
  const long cap = static_cast<long>(model_in_.size());
  // Everything is read from `in` before anything is written to `out`, so they may alias.
  const long m = convert(up_, to_model_, in, n, model_in_.data(), cap);
  std::copy_n(model_in_.data(), m, scalar_in_.data());
  model_.process(scalar_in_.data(), scalar_out_.data(), static_cast<int>(m));
  std::copy_n(scalar_out_.data(), m, model_out_.data());
  const long room = static_cast<long>(fifo_.size() - fifo_count_);
  fifo_count_ += static_cast<size_t>(
      convert(down_, 1.0 / to_model_, model_out_.data(), m, fifo_.data() + fifo_count_, room));
  // The pre-fill makes fifo_count_ >= n; zeros would stand in for a shortfall rather than stale data.
  const size_t take = std::min(fifo_count_, static_cast<size_t>(n));
  std::copy_n(fifo_.data(), take, out);
  std::fill(out + take, out + n, 0.0f);
  std::memmove(fifo_.data(), fifo_.data() + take, (fifo_count_ - take) * sizeof(float));
  fifo_count_ -= take;
}

}  // namespace namk
