// The multi-resolution STFT loss against a reference written here from auraloss's definitions
// (explicit reflect padding, periodic Hann, direct DFT, clamp, SC and log-magnitude L1, mean over
// resolutions), in double and sharing no code with core/kernels/stft; and its gradient.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "base/error.h"
#include "train/mrstft_loss.h"
#include "../core/gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {

using Signal = std::vector<double>;

// |STFT| as torch.stft(center=True, pad_mode="reflect") + auraloss's clamp(min=1e-8) then sqrt;
// result[frame][bin].
std::vector<std::vector<double>> reference_magnitudes(const Signal& x, const StftResolution& r) {
  const long n = static_cast<long>(x.size()), pad = r.n_fft / 2;
  Signal padded;
  for (long i = pad; i >= 1; --i) padded.push_back(x[i]);
  padded.insert(padded.end(), x.begin(), x.end());
  for (long i = n - 2; i >= n - 1 - pad; --i) padded.push_back(x[i]);
  Signal window(r.n_fft, 0.0);  // Hann of win_length, zero-padded to n_fft on both sides
  const long left = (r.n_fft - r.win_length) / 2;
  for (long i = 0; i < r.win_length; ++i)
    window[left + i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * i / r.win_length);
  Signal cos_table(r.n_fft), sin_table(r.n_fft);
  for (long i = 0; i < r.n_fft; ++i) {
    cos_table[i] = std::cos(2 * std::numbers::pi * i / r.n_fft);
    sin_table[i] = std::sin(2 * std::numbers::pi * i / r.n_fft);
  }
  std::vector<std::vector<double>> mags;
  for (long start = 0; start + r.n_fft <= static_cast<long>(padded.size()); start += r.hop) {
    std::vector<double> frame_mags;
    for (long k = 0; k <= r.n_fft / 2; ++k) {
      double re = 0, im = 0;
      for (long i = 0; i < r.n_fft; ++i) {
        const double a = window[i] * padded[start + i];
        re += a * cos_table[(k * i) % r.n_fft];
        im -= a * sin_table[(k * i) % r.n_fft];
      }
      frame_mags.push_back(std::sqrt(std::max(re * re + im * im, 1e-8)));
    }
    mags.push_back(frame_mags);
  }
  return mags;
}

struct ReferenceTerms {
  double sc = 0, log_mag = 0;
};

// auraloss's sums over spectrogram bins: the spectral convergence's norms and the log-magnitude L1.
struct ReferenceSums {
  double diff = 0, energy = 0, l1 = 0, count = 0;
  void add(const Signal& prediction, const Signal& target, const StftResolution& r) {
    const auto x = reference_magnitudes(prediction, r), y = reference_magnitudes(target, r);
    for (size_t f = 0; f < y.size(); ++f)
      for (size_t k = 0; k < y[f].size(); ++k) {
        diff += (y[f][k] - x[f][k]) * (y[f][k] - x[f][k]);
        energy += y[f][k] * y[f][k];
        l1 += std::abs(std::log(x[f][k]) - std::log(y[f][k]));
        count += 1;
      }
  }
};

ReferenceTerms reference_terms(const Signal& prediction, const Signal& target,
                               const StftResolution& r) {
  ReferenceSums s;
  s.add(prediction, target, r);
  return {std::sqrt(s.diff) / std::sqrt(s.energy), s.l1 / s.count};
}

double reference_loss(const Signal& prediction, const Signal& target, const MrstftConfig& c) {
  double total = 0;
  for (const StftResolution& r : c.resolutions) {
    const ReferenceTerms terms = reference_terms(prediction, target, r);
    total += c.sc_weight * terms.sc + c.log_mag_weight * terms.log_mag;
  }
  return total / static_cast<double>(c.resolutions.size());
}

Signal random_signal(long n, std::mt19937_64& rng) {
  std::normal_distribution<double> g(0, 0.3);
  Signal s(n);
  for (double& v : s) v = static_cast<Scalar>(g(rng));  // representable in Scalar
  return s;
}

Mat as_row(const Signal& s) {
  Mat m(1, static_cast<Index>(s.size()));
  for (size_t i = 0; i < s.size(); ++i) m(0, static_cast<Index>(i)) = static_cast<Scalar>(s[i]);
  return m;
}

double loss_value(const Signal& prediction, const Signal& target, const MrstftConfig& c) {
  Tape t;
  return t.value(mrstft_loss(t, t.constant(as_row(prediction)), t.constant(as_row(target)), c))(0, 0);
}

const MrstftConfig kSmall{{{16, 4, 16}, {32, 8, 20}, {15, 3, 9}}, 1, 1};

}  // namespace

TEST_CASE("mrstft_loss equals the reference from auraloss's definitions") {
  std::mt19937_64 rng(41);
  const double tol = kDouble ? 1e-10 : 1e-4;
  SUBCASE("small resolutions, odd length, custom weights") {
    const Signal target = random_signal(101, rng);
    Signal prediction = random_signal(101, rng);  // a plausible prediction: target plus an error
    for (size_t i = 0; i < prediction.size(); ++i)
      prediction[i] = static_cast<Scalar>(target[i] + 0.5 * prediction[i]);
    MrstftConfig weighted = kSmall;
    weighted.sc_weight = 2;
    weighted.log_mag_weight = Scalar(0.5);
    for (const MrstftConfig& c : {kSmall, weighted}) {
      const double expected = reference_loss(prediction, target, c);
      CHECK(loss_value(prediction, target, c) == doctest::Approx(expected).epsilon(tol));
    }
  }
  SUBCASE("auraloss's default resolutions on 1500 samples (> 2048/2)") {
    const Signal target = random_signal(1500, rng), prediction = random_signal(1500, rng);
    const MrstftConfig defaults;
    REQUIRE(defaults.resolutions.size() == 3);
    CHECK(defaults.resolutions[1].n_fft == 2048);
    CHECK(defaults.resolutions[1].hop == 240);
    CHECK(defaults.resolutions[1].win_length == 1200);
    const double expected = reference_loss(prediction, target, defaults);
    CHECK(loss_value(prediction, target, defaults) == doctest::Approx(expected).epsilon(tol));
  }
  SUBCASE("silence in both: every magnitude sits at the clamp, the loss is 0") {
    const Signal zeros(64, 0.0);
    CHECK(loss_value(zeros, zeros, kSmall) == 0);
  }
}

TEST_CASE("mrstft_loss gradient with respect to the prediction matches finite differences") {
  std::mt19937_64 rng(43);
  const Mat target = as_row(random_signal(45, rng));
  for (const MrstftConfig& c : {kSmall, MrstftConfig{{{8, 2, 8}}, Scalar(0.3), 2}}) {
    Mat prediction = as_row(random_signal(45, rng));
    CHECK(gradcheck({prediction}, [&](Tape& t, const std::vector<Var>& v) {
            return mrstft_loss(t, v[0], t.constant(target), c);
          }) < kTolerance);
  }
}

TEST_CASE("a perfect prediction has loss 0 and a zero (not NaN) gradient") {
  std::mt19937_64 rng(47);
  const Mat y = as_row(random_signal(64, rng));
  Tape t;
  Var prediction = t.constant(y, true);
  Var loss = mrstft_loss(t, prediction, t.constant(y), kSmall);
  CHECK(t.value(loss)(0, 0) == 0);
  t.backward(loss);
  CHECK(t.grad(prediction).isZero());
}

TEST_CASE("mrstft_loss rejects mismatched shapes and too-short signals") {
  Tape t;
  Var a = t.constant(Mat::Zero(1, 64)), b = t.constant(Mat::Zero(1, 63));
  CHECK_THROWS_WITH_AS(mrstft_loss(t, a, b, kSmall), doctest::Contains("differ in shape"), UsageError);
  CHECK_THROWS_WITH_AS(mrstft_loss(t, a, a), doctest::Contains("needs more than n_fft/2 = 512 samples"),
                       UsageError);
}

namespace {

// auraloss on a (B, 1, L) batch: each norm over all B spectrograms at once, the L1 mean over every
// bin of every item.
double reference_batch_loss(const std::vector<Signal>& predictions, const std::vector<Signal>& targets,
                            const MrstftConfig& c) {
  double total = 0;
  for (const StftResolution& r : c.resolutions) {
    ReferenceSums s;
    for (size_t b = 0; b < targets.size(); ++b) s.add(predictions[b], targets[b], r);
    total += c.sc_weight * std::sqrt(s.diff) / std::sqrt(s.energy) + c.log_mag_weight * s.l1 / s.count;
  }
  return total / static_cast<double>(c.resolutions.size());
}

// The two phases over a batch on one tape: the mean of the items' finished nodes.
Var batch_loss(Tape& t, const std::vector<Var>& predictions, const std::vector<Var>& targets,
               const MrstftConfig& c) {
  std::vector<MrstftItem> items;
  MrstftBatch batch;
  for (size_t b = 0; b < predictions.size(); ++b) {
    items.push_back(mrstft_begin(t, predictions[b], targets[b], c));
    batch.add(items.back());
  }
  Var total;
  for (const MrstftItem& item : items) {
    Var l = mrstft_finish(t, item, batch, c);
    total = total.valid() ? add(t, total, l) : l;
  }
  return scale(t, total, Scalar(1) / static_cast<Scalar>(predictions.size()));
}

// Three items, the second `quiet` times as loud as the first, each predicted with an error of the
// same level: the quiet item's own SC ratio is large, the batch's ratio hardly notices it.
void quiet_batch(std::mt19937_64& rng, long n, double quiet, std::vector<Signal>& predictions,
                 std::vector<Signal>& targets) {
  for (double level : {1.0, quiet, 0.5}) {
    Signal y = random_signal(n, rng), p = random_signal(n, rng);
    for (long i = 0; i < n; ++i) {
      y[i] = static_cast<Scalar>(level * y[i]);
      p[i] = static_cast<Scalar>(y[i] + 0.05 * p[i]);
    }
    targets.push_back(y);
    predictions.push_back(p);
  }
}

}  // namespace

TEST_CASE("a batch's MRSTFT is auraloss's on the whole batch: one SC ratio, not a mean of ratios") {
  std::mt19937_64 rng(53);
  const double tol = kDouble ? 1e-10 : 1e-4;
  std::vector<Signal> predictions, targets;
  quiet_batch(rng, 101, 0.01, predictions, targets);
  for (const MrstftConfig& c : {kSmall, MrstftConfig{kSmall.resolutions, 2, Scalar(0.5)}}) {
    Tape t;
    std::vector<Var> p, y;
    for (size_t b = 0; b < targets.size(); ++b) {
      p.push_back(t.constant(as_row(predictions[b])));
      y.push_back(t.constant(as_row(targets[b])));
    }
    const double expected = reference_batch_loss(predictions, targets, c);
    CHECK(t.value(batch_loss(t, p, y, c))(0, 0) == doctest::Approx(expected).epsilon(tol));
    // The mean of per-item losses (what a batch of one per tape computes) is another number here.
    double per_item = 0;
    for (size_t b = 0; b < targets.size(); ++b) per_item += loss_value(predictions[b], targets[b], c);
    per_item /= static_cast<double>(targets.size());
    CHECK(std::abs(per_item - expected) > 0.2 * expected);
  }
}

TEST_CASE("the batch MRSTFT's gradient with respect to every item matches finite differences") {
  // Predictions independent of the targets, so no log-magnitude difference sits near the kink of
  // |.|. The batch coupling is in SC: checked alone with an item 20 dB quieter than the others (the
  // log term's curvature on quiet spectra outgrows the finite differences' step), and with the log
  // term at ordinary levels.
  for (double quiet : {0.1, 1.0}) {
    CAPTURE(quiet);
    std::mt19937_64 rng(59);
    std::vector<Signal> predictions, targets;
    for (double level : {1.0, quiet, 0.5}) {
      Signal y = random_signal(45, rng), p = random_signal(45, rng);
      for (size_t i = 0; i < y.size(); ++i) {
        y[i] = static_cast<Scalar>(level * y[i]);
        p[i] = static_cast<Scalar>(level * p[i]);
      }
      targets.push_back(y);
      predictions.push_back(p);
    }
    MrstftConfig c = kSmall;
    if (quiet < 1) c.log_mag_weight = 0;
    std::vector<Mat> inputs;
    for (const Signal& p : predictions) inputs.push_back(as_row(p));
    CHECK(gradcheck(inputs, [&](Tape& t, const std::vector<Var>& v) {
            std::vector<Var> y;
            for (const Signal& s : targets) y.push_back(t.constant(as_row(s)));
            return batch_loss(t, v, y, c);
          }) < kTolerance);
  }
}

TEST_CASE("a batch whose predictions are perfect has MRSTFT 0 and a zero gradient") {
  std::mt19937_64 rng(61);
  Tape t;
  std::vector<Var> p, y;
  for (int b = 0; b < 2; ++b) {
    const Mat s = as_row(random_signal(64, rng));
    p.push_back(t.constant(s, true));
    y.push_back(t.constant(s));
  }
  Var loss = batch_loss(t, p, y, kSmall);
  CHECK(t.value(loss)(0, 0) == 0);
  t.backward(loss);
  for (Var v : p) CHECK(t.grad(v).isZero());
}
