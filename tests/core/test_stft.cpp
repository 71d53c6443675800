// The STFT magnitude: FFT kernels against the direct-DFT oracle, hand-computed framing (torch's
// centred reflect padding), a cosine at a bin frequency, the op's gradient against finite
// differences, and concurrent use from several threads (each with its own FFT workspace).
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <thread>
#include <utility>
#include <vector>

#include "core/kernels/stft.h"
#include "core/spectral_ops.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {

struct Framing {
  Index n_fft, hop, win_length;
};

// Powers of two take the batched real FFT (fft.h), 18 and 15 Eigen's FFT.
const Framing kFramings[] = {{16, 4, 16}, {16, 3, 10}, {32, 8, 17}, {32, 1, 32}, {18, 5, 9},
                             {15, 4, 15}, {15, 2, 8},  {4, 2, 4},   {2, 1, 1}};
// Larger powers of two over longer signals: several batches of frames, the last one partly full
// (the frame counts below are odd, so never a multiple of the lane count).
const Framing kBatchedFramings[] = {{64, 10, 40}, {256, 16, 200}, {512, 50, 240}};
const Index kBatchedLengths[] = {300, 1001};

Mat magnitude_of(const Mat& x, Framing fr) {
  Mat m(stft_bins(fr.n_fft), stft_frames(x.cols(), fr.n_fft, fr.hop));
  stft_magnitude_forward(x, fr.n_fft, fr.hop, fr.win_length, empty_mat(), m);
  return m;
}

double max_abs(const Mat& m) { return m.cwiseAbs().maxCoeff(); }

}  // namespace

TEST_CASE("FFT stft_magnitude equals the direct DFT, forward and backward") {
  std::mt19937_64 rng(5);
  const double tol = kDouble ? 1e-12 : 2e-6;
  std::vector<std::pair<Framing, Index>> cases;
  for (const Framing& fr : kFramings)
    for (Index length : {9, 16, 37, 100})
      if (length > fr.n_fft / 2) cases.push_back({fr, length});
  for (const Framing& fr : kBatchedFramings)
    for (Index length : kBatchedLengths) {
      REQUIRE(stft_frames(length, fr.n_fft, fr.hop) % 2 == 1);
      cases.push_back({fr, length});
    }
  for (const auto& c : cases) {
    const Framing fr = c.first;
    const Index length = c.second;
    CAPTURE(fr.n_fft);
    CAPTURE(fr.hop);
    CAPTURE(fr.win_length);
    CAPTURE(length);
    const Index bins = stft_bins(fr.n_fft), frames = stft_frames(length, fr.n_fft, fr.hop);
    Mat x = random_mat(1, length, rng), dm = random_mat(bins, frames, rng);
    Mat spec_fast(2 * bins, frames), spec_naive(2 * bins, frames), m_fast(bins, frames),
        m_naive(bins, frames);
    stft_magnitude_forward(x, fr.n_fft, fr.hop, fr.win_length, spec_fast, m_fast);
    stft_magnitude_forward_naive(x, fr.n_fft, fr.hop, fr.win_length, spec_naive, m_naive);
    const double scale = static_cast<double>(fr.win_length);
    CHECK(max_abs(spec_fast - spec_naive) < tol * scale);
    CHECK(max_abs(m_fast - m_naive) < tol * scale);
    // Without a saved spectrum the magnitudes are the same.
    CHECK(max_abs(magnitude_of(x, fr) - m_fast) == 0);

    // Backward accumulates: start from a non-zero gradient to check the +=.
    Mat dx_fast = Mat::Ones(1, length), dx_naive = dx_fast;
    stft_magnitude_backward(spec_fast, m_fast, dm, fr.n_fft, fr.hop, fr.win_length, dx_fast);
    stft_magnitude_backward_naive(spec_naive, m_naive, dm, fr.n_fft, fr.hop, fr.win_length,
                                  dx_naive);
    CHECK(max_abs(dx_fast - dx_naive) < tol * scale * static_cast<double>(frames));
  }
}

TEST_CASE("stft framing is torch's: centred frames over a reflect-padded signal") {
  // x = 1..5, n_fft 4, hop 2: padded 3 2 | 1 2 3 4 5 | 4 3, three frames starting at 0, 2, 4 of
  // the padded signal, windowed by the periodic Hann [0, .5, 1, .5].
  Mat x(1, 5);
  x << 1, 2, 3, 4, 5;
  Mat m = magnitude_of(x, {4, 2, 4});
  REQUIRE(m.rows() == 3);
  REQUIRE(m.cols() == 3);
  const double floor = std::sqrt(kStftPowerFloor);
  // DC: sum of w * frame. Bin 1: -0.5i a1 - a2 + 0.5i a3. Nyquist: -0.5 a1 + a2 - 0.5 a3.
  const double expected[3][3] = {{3, 1, 1}, {6, std::sqrt(10.0), floor}, {9, 5, 1}};
  for (Index f = 0; f < 3; ++f)
    for (Index k = 0; k < 3; ++k) {
      CAPTURE(f);
      CAPTURE(k);
      CHECK(m(k, f) == doctest::Approx(expected[f][k]).epsilon(1e-5));
    }

  // A 2-sample window is centred in n_fft = 4: only frame position 2 is non-zero (Hann [0, 1]),
  // which is x[t * hop]: frame t is centred on sample t * hop.
  Mat centred = magnitude_of(x, {4, 2, 2});
  for (Index f = 0; f < 3; ++f) CHECK(centred(0, f) == doctest::Approx(x(0, 2 * f)));

  // Odd n_fft pads n_fft/2 on each side, so T = 7, n_fft 5, hop 2 gives 1 + (7 - 1)/2 frames.
  CHECK(stft_frames(7, 5, 2) == 4);
  CHECK(stft_frames(8192, 1024, 120) == 69);
}

TEST_CASE("a cosine at bin k0 gives |X| = N/4 at k0, N/8 beside it, the floor elsewhere") {
  // With a full-length periodic Hann window (whose DFT is N/2 at 0 and -N/4 at ±1), a cosine at
  // bin k0 away from DC and Nyquist leaks only into k0 ± 1. Checked on the frames that never
  // touch the padding.
  const Index n_fft = 32, hop = 8, length = 128, k0 = 5;
  Mat x(1, length);
  for (Index n = 0; n < length; ++n)
    x(0, n) = static_cast<Scalar>(std::cos(2 * std::numbers::pi * k0 * n / n_fft));
  Mat m = magnitude_of(x, {n_fft, hop, n_fft});
  const double floor = std::sqrt(kStftPowerFloor);
  for (Index f = n_fft / 2 / hop; f * hop + n_fft / 2 <= length; ++f)
    for (Index k = 0; k < m.rows(); ++k) {
      CAPTURE(f);
      CAPTURE(k);
      const double expected = k == k0 ? n_fft / 4.0 : std::abs(k - k0) == 1 ? n_fft / 8.0 : floor;
      CHECK(m(k, f) == doctest::Approx(expected).epsilon(1e-4));
    }
}

TEST_CASE("stft_magnitude backward matches finite differences") {
  std::mt19937_64 rng(29);
  for (const Framing& fr : kFramings) {
    CAPTURE(fr.n_fft);
    CAPTURE(fr.hop);
    CAPTURE(fr.win_length);
    // 21 samples: odd, and frames reach into the reflect padding at both ends.
    Mat x = random_mat(1, 21, rng);
    CHECK(gradcheck({x}, [fr](Tape& t, const std::vector<Var>& v) {
            return stft_magnitude(t, v[0], fr.n_fft, fr.hop, fr.win_length);
          }) < kTolerance);
  }
}

TEST_CASE("stft_magnitude of a constant keeps no spectrum and tracks no gradient") {
  Tape t;
  Var x = t.constant(Mat::Ones(1, 20));
  const size_t before = t.size();
  Var m = stft_magnitude(t, x, 8, 2, 8);
  CHECK(t.size() == before + 1);
  CHECK(!t.requires_grad(m));
}

TEST_CASE("stft_magnitude rejects bad framing with a message naming it") {
  Tape t;
  Var x = t.constant(Mat::Zero(1, 8)), two = t.constant(Mat::Zero(2, 40));
  CHECK_THROWS_WITH_AS(stft_magnitude(t, two, 8, 2, 8), doctest::Contains("expected a (1, T) signal"),
                       UsageError);
  CHECK_THROWS_WITH_AS(stft_magnitude(t, x, 16, 4, 16),
                       doctest::Contains("needs more than n_fft/2 = 8 samples"), UsageError);
  CHECK_THROWS_WITH_AS(stft_magnitude(t, x, 8, 2, 9), doctest::Contains("win_length must be in [1, n_fft]"),
                       UsageError);
  CHECK_THROWS_WITH_AS(stft_magnitude(t, x, 8, 0, 8), doctest::Contains("hop >= 1"), UsageError);
}

TEST_CASE("threads computing STFTs of different sizes concurrently get the serial results") {
  std::mt19937_64 rng(31);
  const Mat x = random_mat(1, 700, rng);
  const Framing a{64, 16, 40}, b{128, 8, 128};
  const Mat ref_a = magnitude_of(x, a), ref_b = magnitude_of(x, b);
  double worst[2] = {0, 0};
  auto work = [&](int id) {
    for (int i = 0; i < 50; ++i) {
      const Framing fr = (i + id) % 2 ? a : b;
      const Mat& ref = (i + id) % 2 ? ref_a : ref_b;
      worst[id] = std::max(worst[id], max_abs(magnitude_of(x, fr) - ref));
    }
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  CHECK(worst[0] == 0);
  CHECK(worst[1] == 0);
}
