// Biquads: the designs against what a tone control must do (gain where the cookbook says, unity
// elsewhere), the filter against the frequency response its coefficients define, block
// independence, and the backward and design derivatives against central finite differences.
#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "../core/biquad_test_util.h"
#include "core/kernels/biquad.h"

using namespace namk;
using namespace namk::test;

namespace {

constexpr double kRate = 48000;

std::vector<Scalar> noise(Index n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<Scalar> x(static_cast<size_t>(n));
  for (Scalar& v : x) v = static_cast<Scalar>(u(rng));
  return x;
}

}  // namespace

TEST_CASE("biquad designs: a peak boosts its frequency by its gain, shelves their end, unity elsewhere") {
  const Biquad peak = design_biquad(BiquadKind::Peak, 6, 1000, 1.0, kRate).filter;
  CHECK(magnitude_db(peak, 1000, kRate) == doctest::Approx(6).epsilon(1e-9));
  CHECK(std::abs(magnitude_db(peak, 1, kRate)) < 1e-3);
  CHECK(std::abs(magnitude_db(peak, 23000, kRate)) < 0.05);

  const Biquad low = design_biquad(BiquadKind::LowShelf, -9, 150, 0.7, kRate).filter;
  CHECK(magnitude_db(low, 0.1, kRate) == doctest::Approx(-9).epsilon(1e-6));
  CHECK(magnitude_db(low, 150, kRate) == doctest::Approx(-4.5).epsilon(1e-9));  // half the gain at the corner
  CHECK(std::abs(magnitude_db(low, 20000, kRate)) < 0.01);

  const Biquad high = design_biquad(BiquadKind::HighShelf, 12, 4000, 0.7, kRate).filter;
  CHECK(magnitude_db(high, 24000, kRate) == doctest::Approx(12).epsilon(1e-9));
  CHECK(magnitude_db(high, 4000, kRate) == doctest::Approx(6).epsilon(1e-9));
  CHECK(std::abs(magnitude_db(high, 20, kRate)) < 0.01);

  for (BiquadKind kind : {BiquadKind::LowShelf, BiquadKind::Peak, BiquadKind::HighShelf}) {
    const Biquad flat = design_biquad(kind, 0, 700, 2.0, kRate).filter;
    CHECK(flat.b0 == doctest::Approx(1));
    CHECK(flat.b1 == doctest::Approx(flat.a1));
    CHECK(flat.b2 == doctest::Approx(flat.a2));
  }
}

TEST_CASE("biquad filter: its impulse response has the frequency response of its coefficients") {
  const Biquad f = design_biquad(BiquadKind::Peak, -8, 2500, 3.0, kRate).filter;
  const Index n = 1 << 14;
  std::vector<Scalar> impulse(static_cast<size_t>(n), 0), h(static_cast<size_t>(n));
  impulse[0] = 1;
  BiquadState state;
  biquad_forward(f, impulse.data(), h.data(), n, state);
  for (double hz : {100.0, 2500.0, 9000.0}) {
    std::complex<double> sum = 0;
    for (Index i = 0; i < n; ++i) sum += static_cast<double>(h[static_cast<size_t>(i)]) *
                                         std::polar(1.0, -2 * std::numbers::pi * hz / kRate * static_cast<double>(i));
    CHECK(20 * std::log10(std::abs(sum)) == doctest::Approx(magnitude_db(f, hz, kRate)).epsilon(1e-4));
  }
}

TEST_CASE("biquad filter: blocks of any size give the bits of one call") {
  const Biquad f = design_biquad(BiquadKind::LowShelf, 10, 80, 0.5, kRate).filter;
  const std::vector<Scalar> x = noise(1000, 3);
  std::vector<Scalar> whole(x.size()), blocks(x.size());
  BiquadState a, b;
  biquad_forward(f, x.data(), whole.data(), static_cast<Index>(x.size()), a);
  for (Index pos = 0, len = 1; pos < static_cast<Index>(x.size()); pos += len, len = len % 97 + 7) {
    len = std::min<Index>(len, static_cast<Index>(x.size()) - pos);
    biquad_forward(f, x.data() + pos, blocks.data() + pos, len, b);
  }
  CHECK(whole == blocks);
}

TEST_CASE("biquad backward and design derivatives match central finite differences") {
  constexpr bool kDouble = std::is_same_v<Scalar, double>;
  const double tolerance = kDouble ? 1e-6 : 2e-2, step = kDouble ? 1e-6 : 1e-3;
  const Index n = 200;
  const std::vector<Scalar> x = noise(n, 5), g = noise(n, 6);
  const Biquad f = design_biquad(BiquadKind::Peak, 5, 3000, 0.8, kRate).filter;
  auto loss = [&](const Biquad& filter, const std::vector<Scalar>& input) {
    std::vector<Scalar> y(input.size());
    BiquadState s;
    biquad_forward(filter, input.data(), y.data(), n, s);
    double l = 0;
    for (Index i = 0; i < n; ++i) l += static_cast<double>(y[static_cast<size_t>(i)]) * g[static_cast<size_t>(i)];
    return l;
  };
  std::vector<Scalar> y(static_cast<size_t>(n)), dx(static_cast<size_t>(n), 0);
  BiquadState s;
  biquad_forward(f, x.data(), y.data(), n, s);
  const std::array<double, 5> dcoef = biquad_backward(f, x.data(), y.data(), g.data(), dx.data(), n);

  auto relative = [](double a, double b) { return std::abs(a - b) / std::max({1.0, std::abs(a), std::abs(b)}); };
  double worst = 0;
  for (int k = 0; k < 5; ++k) {
    Biquad up = f, down = f;
    double* u[5] = {&up.b0, &up.b1, &up.b2, &up.a1, &up.a2};
    double* d[5] = {&down.b0, &down.b1, &down.b2, &down.a1, &down.a2};
    *u[k] += step;
    *d[k] -= step;
    worst = std::max(worst, relative(dcoef[static_cast<size_t>(k)], (loss(up, x) - loss(down, x)) / (2 * step)));
  }
  for (Index i : {Index(0), Index(1), Index(57), n - 2, n - 1}) {
    std::vector<Scalar> up = x, down = x;
    up[static_cast<size_t>(i)] += static_cast<Scalar>(step);
    down[static_cast<size_t>(i)] -= static_cast<Scalar>(step);
    worst = std::max(worst, relative(dx[static_cast<size_t>(i)], (loss(f, up) - loss(f, down)) / (2 * step)));
  }
  CHECK(worst < tolerance);

  // The design's derivatives, in double whatever the build (the design is computed in double).
  for (BiquadKind kind : {BiquadKind::LowShelf, BiquadKind::Peak, BiquadKind::HighShelf}) {
    const double in[3] = {4.0, 900.0, 1.3}, h[3] = {1e-5, 1e-3, 1e-6};
    const BiquadDesign at = design_biquad(kind, in[0], in[1], in[2], kRate);
    for (int j = 0; j < 3; ++j) {
      double up[3] = {in[0], in[1], in[2]}, down[3] = {in[0], in[1], in[2]};
      up[j] += h[j];
      down[j] -= h[j];
      const Biquad fu = design_biquad(kind, up[0], up[1], up[2], kRate).filter;
      const Biquad fd = design_biquad(kind, down[0], down[1], down[2], kRate).filter;
      const double cu[5] = {fu.b0, fu.b1, fu.b2, fu.a1, fu.a2}, cd[5] = {fd.b0, fd.b1, fd.b2, fd.a1, fd.a2};
      for (int k = 0; k < 5; ++k)
        CHECK(at.d[static_cast<size_t>(k)][static_cast<size_t>(j)] ==
              doctest::Approx((cu[k] - cd[k]) / (2 * h[j])).epsilon(1e-6).scale(1e-9));
    }
  }
}

TEST_CASE("biquad: the value-only design is the derivative design's filter to the bit") {
  for (BiquadKind kind : {BiquadKind::LowPass, BiquadKind::HighPass, BiquadKind::AllPass, BiquadKind::Peak,
                          BiquadKind::LowShelf, BiquadKind::HighShelf})
    for (double gain : {-12.5, 0.0, 3.0})
      for (double hz : {40.0, 700.0, 9000.0})
        for (double q : {0.3, 0.707, 4.0}) {
          const Biquad a = design_biquad(kind, gain, hz, q, kRate).filter;
          const Biquad b = design_biquad_filter(kind, gain, hz, q, kRate);
          CHECK(a.b0 == b.b0);
          CHECK(a.b1 == b.b1);
          CHECK(a.b2 == b.b2);
          CHECK(a.a1 == b.a1);
          CHECK(a.a2 == b.a2);
        }
}
