// See alignment.h. Welch's H1 estimate of the transfer function in double with Eigen's FFT (a few
// hundred FFTs per pair, off the training hot path), then the onset in two stages.
//
// 1. Coarse onset on the deconvolved impulse response g (over the searched lags): P its largest
//    magnitude, s its noise floor (median magnitude scaled to a Gaussian's deviation: most lags
//    hold no response). The onset is the earliest lag with |g| >= max(kOnsetFraction P,
//    kOnsetNoise s) in the run that leads to the peak (gaps of at most kOnsetGap lags), stepped
//    back (at most kMaxStepBack) while the preceding sample still clears
//    max(kStepBackFraction P, kOnsetNoise s). A fraction of the peak, not the peak: a chain's
//    first sample is rarely its largest. This stage errs early on band-limited input (a guitar has
//    little above 5 kHz, so the regularised g rings a few samples before the arrival).
// 2. Refinement by causal prediction: for each start d from two samples before the coarse onset
//    to one past the peak, the share of the output a least-squares causal FIR from input[t - d]
//    onwards explains (Toeplitz normal equations from the same averaged spectra). Moving d past a
//    sample that carries signal loses a step of explained energy; before the arrival the steps are
//    small and grow slowly (a nonlinear chain's best linear fit leans a little on the future
//    input). The onset is the last d before the first step that is both above kCausalLoss and
//    kJumpRatio times every earlier step, stepped back one more sample when the sample before it
//    still explains more than kTrace (a low-pass's first samples are tiny but not zero). With no
//    such step (the steps grow smoothly: a strong treble boost on a dull input), the coarse onset
//    stands and the estimate is flagged as without a clear onset, so "auto" does not rely on it.
// The rule errs early by design: an early estimate costs a sample of the model's receptive field,
// a late one asks a causal model to see the future. It can be late only by first samples that
// together carry under about kCausalLoss of the explained output, which a model barely misses.
#include "data/alignment.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <optional>
#include <unsupported/Eigen/FFT>
#include <vector>

namespace namk {

namespace {

constexpr long kSegment = 8192;           // samples per Welch segment (zero-padded to twice this)
constexpr long kMaxAnalysed = 1L << 19;   // the loudest ~11 s at 48 kHz is plenty
constexpr double kRegularisation = 1e-3;  // lambda, relative to the mean of Sxx
constexpr double kOnsetFraction = 0.1;
constexpr double kStepBackFraction = 0.02;
constexpr double kOnsetNoise = 8.0;
constexpr long kMaxStepBack = 2;
constexpr long kOnsetGap = 32;
constexpr long kFitTaps = 128;
constexpr double kFitRidge = 1e-6;
constexpr double kCausalLoss = 5e-3;
constexpr double kJumpRatio = 5.0;
constexpr double kTrace = 1e-4;
constexpr long kRefineBefore = 2, kRefineSpan = 16;

long floor_pow2(long n) {
  long p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

// First difference: kills DC and rumble (which correlate at every lag) and tilts the spectrum
// towards the highs, which sharpens the onset. A linear filter on both sides leaves h unchanged.
std::vector<double> difference(std::span<const float> x, long begin, long n) {
  std::vector<double> d(n, 0.0);
  for (long t = 1; t < n; ++t) d[t] = double(x[begin + t]) - x[begin + t - 1];
  return d;
}

// Start of the loudest `window` samples of x (by first-difference energy), in steps of 1024.
long loudest_start(std::span<const float> x, long n, long window) {
  if (window >= n) return 0;
  std::vector<double> energy(n + 1, 0.0);
  for (long t = 0; t < n; ++t) {
    const double d = t > 0 ? double(x[t]) - x[t - 1] : 0.0;
    energy[t + 1] = energy[t] + d * d;
  }
  long best = 0;
  for (long s = 0; s + window <= n; s += 1024)
    if (energy[s + window] - energy[s] > energy[best + window] - energy[best]) best = s;
  return best;
}

// Correlation r[tau] = sum_t a[t] b[t + tau] (negative tau at the end) from an averaged one-sided
// cross-spectrum B conj(A).
std::vector<double> correlation(const std::vector<std::complex<double>>& spectrum, long N,
                                Eigen::FFT<double>& fft) {
  std::vector<double> r;
  fft.inv(r, spectrum, N);
  return r;
}

// Stage 2 of the onset rule over starts d in [lo, hi]: the causal FIR y[t] ~ sum_k c_k x[t - d - k]
// (k < kFitTaps, least squares, a tiny ridge for band-limited input). Empty when no step stands
// out (no clear arrival: the coarse onset stands and the estimate is flagged unreliable).
std::optional<long> refine_onset(const std::vector<double>& rxx, const std::vector<double>& rxy,
                                 long N, long lo, long hi) {
  const long K = std::min(kFitTaps, N / 4);
  Eigen::MatrixXd toeplitz(K, K);
  for (long i = 0; i < K; ++i)
    for (long j = 0; j < K; ++j) toeplitz(i, j) = rxx[std::labs(i - j)];
  toeplitz.diagonal().array() += kFitRidge * rxx[0];
  const Eigen::LDLT<Eigen::MatrixXd> solver(toeplitz);
  const auto explained = [&](long d) {
    Eigen::VectorXd r(K);
    for (long j = 0; j < K; ++j) r[j] = rxy[((d + j) % N + N) % N];
    return r.dot(solver.solve(r));
  };
  std::vector<double> e;
  for (long d = lo; d <= hi; ++d) e.push_back(explained(d));
  const double best = *std::max_element(e.begin(), e.end());
  if (!(best > 0)) return std::nullopt;
  const auto loss = [&](long d) { return 1 - e[d - lo] / best; };
  double largest_step = 0;
  for (long d = lo; d < hi; ++d) {
    const double step = loss(d + 1) - loss(d);
    if (step > std::max(kCausalLoss, kJumpRatio * largest_step)) {
      // The sample before the arrival still carries a trace of the output (a cab's slow
      // build-up): include it.
      return d > lo && loss(d) - loss(d - 1) > kTrace ? d - 1 : d;
    }
    largest_step = std::max(largest_step, step);
  }
  return std::nullopt;
}

}  // namespace

DelayEstimate estimate_latency(std::span<const float> input, std::span<const float> output,
                               long max_delay) {
  const long n_all = static_cast<long>(std::min(input.size(), output.size()));
  if (n_all < 64) return {};
  const long lag = std::max(0L, std::min(max_delay, n_all / 4));
  const long n = std::min(n_all, kMaxAnalysed);
  const long start = loudest_start(input, n_all, n);
  const std::vector<double> dx = difference(input, start, n), dy = difference(output, start, n);

  // Segments of L samples, Hann-windowed, hop L/2, zero-padded to N = 2L so lags up to L - 1
  // correlate linearly (no wrap-around); L > lag because lag <= n / 4.
  const long L = std::min(kSegment, floor_pow2(n));
  const long N = 2 * L, bins = L + 1;
  std::vector<double> window(L);
  for (long t = 0; t < L; ++t) window[t] = 0.5 - 0.5 * std::cos(2 * M_PI * (t + 0.5) / L);
  Eigen::FFT<double> fft;
  fft.SetFlag(Eigen::FFT<double>::HalfSpectrum);
  std::vector<double> frame_x(N), frame_y(N), sxx(bins, 0.0);
  std::vector<std::complex<double>> fx, fy, sxy(bins, 0.0);
  for (long s = 0; s + L <= n; s += L / 2) {
    std::fill(frame_x.begin(), frame_x.end(), 0.0);
    std::fill(frame_y.begin(), frame_y.end(), 0.0);
    for (long t = 0; t < L; ++t) {
      frame_x[t] = window[t] * dx[s + t];
      frame_y[t] = window[t] * dy[s + t];
    }
    fft.fwd(fx, frame_x);
    fft.fwd(fy, frame_y);
    for (long k = 0; k < bins; ++k) {
      sxx[k] += std::norm(fx[k]);
      sxy[k] += fy[k] * std::conj(fx[k]);
    }
  }
  double mean_sxx = 0;
  for (double v : sxx) mean_sxx += v;
  mean_sxx /= double(bins);
  if (!(mean_sxx > 0)) return {};
  const double lambda = kRegularisation * mean_sxx;
  std::vector<std::complex<double>> H(bins);
  for (long k = 0; k < bins; ++k) H[k] = sxy[k] / (sxx[k] + lambda);
  std::vector<double> h;
  fft.inv(h, H, N);

  // g[i] = h at lag i - lag (negative lags wrap to the end of h).
  std::vector<double> g(2 * lag + 1);
  for (long i = 0; i <= 2 * lag; ++i) g[i] = std::fabs(h[((i - lag) % N + N) % N]);
  std::vector<double> sorted = g;
  std::nth_element(sorted.begin(), sorted.begin() + lag, sorted.end());
  const double noise = 1.4826 * sorted[lag];
  const long ip = static_cast<long>(std::max_element(g.begin(), g.end()) - g.begin());
  const double peak = g[ip];
  if (!(peak > 0)) return {};

  const double threshold = std::min(peak, std::max(kOnsetFraction * peak, kOnsetNoise * noise));
  // Walk back from the peak over the lags that clear the threshold, bridging sub-threshold runs of
  // up to kOnsetGap lags (a ringing response crosses zero). Scanning forward from the earliest lag
  // instead took any earlier spike for the arrival: an input that repeats a phrase leaves echoes
  // of the peak in g, one of them 1993 lags early in a capture plan's take.
  long onset = ip;
  for (long i = ip - 1; i >= 0 && onset - i <= kOnsetGap; --i)
    if (g[i] >= threshold) onset = i;
  const double low = std::max(kStepBackFraction * peak, kOnsetNoise * noise);
  for (long back = 0; back < kMaxStepBack && onset > 0 && g[onset - 1] >= low; ++back) --onset;

  const long lo = std::max(0L, onset - kRefineBefore);
  const long hi = std::min({2 * lag, std::max(onset, ip) + 1, lo + kRefineSpan});
  const std::vector<double> rxx =
      correlation(std::vector<std::complex<double>>(sxx.begin(), sxx.end()), N, fft);
  const std::vector<double> rxy = correlation(sxy, N, fft);
  const std::optional<long> refined = refine_onset(rxx, rxy, N, lo - lag, hi - lag);
  if (refined) onset = *refined + lag;

  DelayEstimate e;
  e.delay = onset - lag;
  e.peak = ip - lag;
  e.confidence_db = noise > 0 ? 20 * std::log10(peak / noise) : 300.0;
  e.clear_onset = refined.has_value();
  return e;
}

long estimate_delay(std::span<const float> input, std::span<const float> output, long max_delay) {
  return estimate_latency(input, output, max_delay).delay;
}

JointDelay joint_latency(std::span<const DelayEstimate> estimates) {
  JointDelay j;
  j.outlier.assign(estimates.size(), true);
  std::vector<long> reliable;
  for (const auto& e : estimates)
    if (e.reliable()) reliable.push_back(e.delay);
  if (reliable.empty()) {
    for (size_t i = 0; i < estimates.size(); ++i)
      j.delay = i == 0 ? estimates[i].delay : std::min(j.delay, estimates[i].delay);
    return j;
  }
  // The lower median: each estimate already errs early, and the median ignores strays either way.
  std::sort(reliable.begin(), reliable.end());
  j.delay = reliable[(reliable.size() - 1) / 2];
  for (size_t i = 0; i < estimates.size(); ++i)
    j.outlier[i] =
        !estimates[i].reliable() || std::labs(estimates[i].delay - j.delay) > kJointTolerance;
  return j;
}

std::string describe(const DelayEstimate& e) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%ld (correlation peak %ld, %.1f dB%s)", e.delay, e.peak,
                e.confidence_db, e.clear_onset ? "" : ", no clear onset");
  return buf;
}

}  // namespace namk
