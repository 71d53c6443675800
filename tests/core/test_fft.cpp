// The batched real FFT: against the direct DFT for every power of two from 2 to 4096, forward and
// inverse, with batch counts that leave lanes idle; a round trip; a hand-computed case for the
// oracle itself; and strided (block) arguments that must not be written outside.
#include <doctest/doctest.h>

#include <cmath>

#include "core/kernels/fft.h"
#include "gradcheck.h"

using namespace namk;
using namespace namk::test;

namespace {

double max_abs(const Mat& m) { return m.cwiseAbs().maxCoeff(); }

// Odd counts: never a multiple of the lane count, so the last batch always has idle lanes; and
// more than one batch.
std::vector<Index> batch_counts(Index n) {
  const Index lanes = rfft_lanes();
  if (n >= 1024) return {1, lanes + 1};
  return {1, 3, lanes + 1, 2 * lanes + 3};
}

// Float FFT rounding grows like log2(n) times the data's scale, sqrt(n) for unit random input.
double tolerance(Index n) {
  return (kDouble ? 1e-14 : 1e-6) * std::log2(static_cast<double>(n)) * std::sqrt(static_cast<double>(n));
}

}  // namespace

TEST_CASE("rfft_size_supported takes powers of two from 2") {
  for (Index n : {2, 4, 8, 1024, 4096}) CHECK(rfft_size_supported(n));
  for (Index n : {0, 1, 3, 6, 15, 18, 1000}) CHECK(!rfft_size_supported(n));
  CHECK(rfft_lanes() >= 2);
}

TEST_CASE("the DFT oracles on a hand-computed case") {
  // x = (1, 2, 3, 4): X[0] = 10, X[1] = -2 + 2i, X[2] = -2.
  Mat x(4, 1);
  x << 1, 2, 3, 4;
  Mat spectrum(6, 1);
  rfft_forward_naive(x, spectrum);
  Mat expected(6, 1);
  expected << 10, 0, -2, 2, -2, 0;
  CHECK(max_abs(spectrum - expected) < 1e-6);
  // The unscaled inverse gives n·x back; the imaginary parts of DC and Nyquist are ignored.
  spectrum(1, 0) = 7;
  spectrum(5, 0) = -3;
  Mat back(4, 1);
  rfft_inverse_naive(spectrum, back);
  CHECK(max_abs(back - 4 * x) < 1e-5);
}

TEST_CASE("rfft_forward and rfft_inverse equal the direct DFT for every power of two to 4096") {
  std::mt19937_64 rng(3);
  for (Index n = 2; n <= 4096; n *= 2)
    for (Index count : batch_counts(n)) {
      CAPTURE(n);
      CAPTURE(count);
      const Index rows = 2 * (n / 2 + 1);
      const Mat x = random_mat(n, count, rng);
      Mat fast(rows, count), naive(rows, count);
      rfft_forward(x, fast);
      rfft_forward_naive(x, naive);
      CHECK(max_abs(fast - naive) < tolerance(n));

      // A spectrum with non-zero imaginary parts at DC and Nyquist, which both must ignore.
      const Mat spectrum = random_mat(rows, count, rng);
      Mat back_fast(n, count), back_naive(n, count);
      rfft_inverse(spectrum, back_fast);
      rfft_inverse_naive(spectrum, back_naive);
      CHECK(max_abs(back_fast - back_naive) < 2 * tolerance(n));

      // Round trip: the unscaled inverse of the forward transform is n·x.
      Mat round_trip(n, count);
      rfft_inverse(fast, round_trip);
      CHECK(max_abs(round_trip / static_cast<double>(n) - x) < tolerance(n));
    }
}

TEST_CASE("rfft reads and writes blocks of larger matrices and nothing around them") {
  std::mt19937_64 rng(7);
  const Index n = 64, rows = 2 * (n / 2 + 1), count = rfft_lanes() + 1;
  const Mat x = random_mat(n + 5, count + 2, rng);
  const Scalar sentinel = 12345;
  Mat spectrum = Mat::Constant(rows + 2, count + 2, sentinel);
  rfft_forward(x.block(2, 1, n, count), spectrum.block(1, 1, rows, count));
  Mat expected(rows, count);
  rfft_forward_naive(x.block(2, 1, n, count), expected);
  CHECK(max_abs(spectrum.block(1, 1, rows, count) - expected) < tolerance(n));
  Mat untouched = spectrum;
  untouched.block(1, 1, rows, count).setConstant(sentinel);
  CHECK((untouched.array() == sentinel).all());

  Mat frames = Mat::Constant(n + 2, count + 2, sentinel);
  rfft_inverse(expected, frames.block(1, 1, n, count));
  Mat expected_frames(n, count);
  rfft_inverse_naive(expected, expected_frames);
  CHECK(max_abs(frames.block(1, 1, n, count) - expected_frames) < 2 * tolerance(n) * 8);
  untouched = frames;
  untouched.block(1, 1, n, count).setConstant(sentinel);
  CHECK((untouched.array() == sentinel).all());
}
