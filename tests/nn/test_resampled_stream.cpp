// ResampledStream around an identity model (a one-tap Linear with weight 1): what comes out is the
// input delayed by exactly latency() samples, to within the converter's pass-band error; the
// result does not depend on how the input is split into calls (blocks above max_block included);
// and process() allocates nothing. In the allocation binary because it counts allocations.
#include <doctest/doctest.h>

#ifdef NAMK_HAVE_RESAMPLE
#include <cmath>
#include <memory>
#include <vector>

#include "alloc_counter.h"
#include "base/error.h"
#include "nn/resampled_stream.h"

using namespace namk;

namespace {

std::unique_ptr<Model> identity_model() {
  ModelConfig c;
  c.architecture = "Linear";
  c.linear.receptive_field = 1;
  c.linear.bias = false;
  auto m = make_model(c);
  m->params()[0] = 1;
  m->prepare(256);
  return m;
}

std::vector<float> run(ResampledStream& s, const std::vector<float>& x, const std::vector<int>& blocks,
                       long* allocations) {
  std::vector<float> y(x.size());
  test::CountAllocations count;
  for (size_t pos = 0, b = 0; pos < x.size(); ++b) {
    const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(blocks[b % blocks.size()]), x.size() - pos));
    s.process(x.data() + pos, y.data() + pos, n);
    pos += static_cast<size_t>(n);
  }
  *allocations = count.count();
  return y;
}

// Largest |y[t + shift] - x[t]| away from the start (where the converters fill up).
double misfit(const std::vector<float>& x, const std::vector<float>& y, long shift) {
  double worst = 0;
  for (long t = 2000; t + shift < static_cast<long>(y.size()); ++t)
    worst = std::max(worst, std::fabs(double(y[size_t(t + shift)]) - x[size_t(t)]));
  return worst;
}

}  // namespace

TEST_CASE("resampling around an identity model delays the input by exactly latency()") {
  for (double rate : {44100.0, 96000.0, 32000.0}) {
    CAPTURE(rate);
    auto model = identity_model();
    ResampledStream stream(*model, rate, 256);
    const long latency = stream.latency();
    CHECK(latency > 0);
    CHECK(latency < 0.01 * rate);  // under 10 ms
    // Well inside both rates' pass bands (the converter keeps 67 % of the lower Nyquist).
    std::vector<float> x(static_cast<size_t>(rate / 2));
    for (size_t t = 0; t < x.size(); ++t)
      x[t] = static_cast<float>(0.4 * std::sin(2 * M_PI * 440 * double(t) / rate) +
                                0.2 * std::sin(2 * M_PI * 3100 * double(t) / rate));
    long allocations = -1;
    const std::vector<float> y = run(stream, x, {64}, &allocations);
    CHECK(allocations == 0);
    // 16-bit sinc: pass-band ripple and stop-band leakage well under 1e-3 of full scale.
    const double aligned = misfit(x, y, latency);
    CHECK(aligned < 2e-3);
    // One sample either way is far worse: the reported latency is the delay, not a bound on it.
    CHECK(misfit(x, y, latency - 1) > 10 * aligned);
    CHECK(misfit(x, y, latency + 1) > 10 * aligned);

    // Any split gives the same samples, including blocks above max_block and single samples, after
    // a reset (which re-creates the converters) as from the constructor.
    stream.reset();
    model->reset();
    const std::vector<float> z = run(stream, x, {1, 7, 1000, 333, 256, 2}, &allocations);
    CHECK(allocations == 0);
    double differ = 0;
    for (size_t t = 0; t < y.size(); ++t) differ = std::max(differ, std::fabs(double(y[t]) - z[t]));
    CHECK(differ == 0.0);
  }
}

TEST_CASE("resetting a resampler that has not run allocates nothing") {
  // The plugin's first run() calls namk_reset: after the constructor (or a reset outside the audio
  // thread) that must leave the converters alone, or re-creating them would allocate there.
  auto model = identity_model();
  ResampledStream stream(*model, 44100, 64);
  long allocations = -1;
  {
    test::CountAllocations count;
    stream.reset();
    allocations = count.count();
  }
  CHECK(allocations == 0);
  const std::vector<float> x(1000, 0.25f);
  run(stream, x, {64}, &allocations);
  {
    test::CountAllocations count;
    stream.reset();  // audio has run: the converters are re-created, which allocates
    allocations = count.count();
  }
#if NAMK_COUNT_MALLOC  // libsoxr allocates with malloc, which only the plain build counts
  CHECK(allocations > 0);
#endif
  {
    test::CountAllocations count;
    stream.reset();
    allocations = count.count();
  }
  CHECK(allocations == 0);
}

TEST_CASE("resampling refuses a rate it cannot convert") {
  auto model = identity_model();
  CHECK_THROWS_WITH_AS(ResampledStream(*model, 0, 64), doctest::Contains("positive"), UsageError);
  CHECK_THROWS_WITH_AS(ResampledStream(*model, 48000.0 / 1000, 64), doctest::Contains("256"), UsageError);
}
#endif
