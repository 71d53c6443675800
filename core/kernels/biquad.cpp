// See biquad.h. Plain loops: a biquad's recursion is sequential in time, and at five multiply-adds
// a sample it costs nothing next to a WaveNet; this file is its own reference.
#include "core/kernels/biquad.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace namk {

void biquad_forward(const Biquad& f, const Scalar* x, Scalar* y, Index n, BiquadState& s) {
  for (Index i = 0; i < n; ++i) {
    const double xi = x[i];
    const double yi = f.b0 * xi + f.b1 * s.x1 + f.b2 * s.x2 - f.a1 * s.y1 - f.a2 * s.y2;
    s.x2 = s.x1;
    s.x1 = xi;
    s.y2 = s.y1;
    s.y1 = yi;
    y[i] = static_cast<Scalar>(yi);
  }
}

std::array<double, 5> biquad_backward(const Biquad& f, const Scalar* x, const Scalar* y, const Scalar* dy,
                                      Scalar* dx, Index n) {
  // u[n] = dy[n] - a1 u[n+1] - a2 u[n+2]: the transposed recursion, from the end of the signal.
  thread_local std::vector<double> u;
  u.assign(static_cast<size_t>(n), 0.0);
  double u1 = 0, u2 = 0;
  for (Index i = n - 1; i >= 0; --i) {
    const double ui = dy[i] - f.a1 * u1 - f.a2 * u2;
    u[static_cast<size_t>(i)] = ui;
    u2 = u1;
    u1 = ui;
  }
  auto at = [&](const Scalar* s, Index i) { return i >= 0 ? static_cast<double>(s[i]) : 0.0; };
  std::array<double, 5> g{};
  for (Index i = 0; i < n; ++i) {
    const double ui = u[static_cast<size_t>(i)];
    g[0] += ui * x[i];
    g[1] += ui * at(x, i - 1);
    g[2] += ui * at(x, i - 2);
    g[3] -= ui * at(y, i - 1);
    g[4] -= ui * at(y, i - 2);
  }
  if (dx) {
    auto u_at = [&](Index i) { return i < n ? u[static_cast<size_t>(i)] : 0.0; };
    for (Index i = 0; i < n; ++i)
      dx[i] += static_cast<Scalar>(f.b0 * u_at(i) + f.b1 * u_at(i + 1) + f.b2 * u_at(i + 2));
  }
  return g;
}

namespace {

// Forward-mode derivatives: a value and its partial derivatives with respect to the three design
// inputs. Just the operations the cookbook formulas use.
struct Dual {
  double v = 0;
  std::array<double, 3> d{};
};
Dual constant(double v) { return {v, {}}; }
Dual variable(double v, int i) {
  Dual x{v, {}};
  x.d[static_cast<size_t>(i)] = 1;
  return x;
}
// f(a) from f's value and derivative at a.v.
Dual chain(const Dual& a, double value, double derivative) {
  Dual r{value, {}};
  for (size_t i = 0; i < 3; ++i) r.d[i] = derivative * a.d[i];
  return r;
}
Dual operator+(const Dual& a, const Dual& b) {
  Dual r{a.v + b.v, {}};
  for (size_t i = 0; i < 3; ++i) r.d[i] = a.d[i] + b.d[i];
  return r;
}
Dual operator-(const Dual& a, const Dual& b) {
  Dual r{a.v - b.v, {}};
  for (size_t i = 0; i < 3; ++i) r.d[i] = a.d[i] - b.d[i];
  return r;
}
Dual operator*(const Dual& a, const Dual& b) {
  Dual r{a.v * b.v, {}};
  for (size_t i = 0; i < 3; ++i) r.d[i] = a.d[i] * b.v + a.v * b.d[i];
  return r;
}
Dual operator/(const Dual& a, const Dual& b) {
  Dual r{a.v / b.v, {}};
  for (size_t i = 0; i < 3; ++i) r.d[i] = (a.d[i] * b.v - a.v * b.d[i]) / (b.v * b.v);
  return r;
}
Dual operator*(double s, const Dual& a) { return constant(s) * a; }
Dual pow10(const Dual& a) {
  const double p = std::pow(10.0, a.v);
  return chain(a, p, p * std::numbers::ln10);
}
Dual sqrt(const Dual& a) {
  const double r = std::sqrt(a.v);
  return chain(a, r, 0.5 / r);
}
Dual cos(const Dual& a) { return chain(a, std::cos(a.v), -std::sin(a.v)); }
Dual sin(const Dual& a) { return chain(a, std::sin(a.v), std::cos(a.v)); }

}  // namespace

namespace {
double pow10(double a) { return std::pow(10.0, a); }
double sqrt(double a) { return std::sqrt(a); }
double cos(double a) { return std::cos(a); }
double sin(double a) { return std::sin(a); }

// The cookbook on T = Dual (values and derivatives) or double (values only): one formula, and the
// values are the same operations either way, so both entries give the same filter to the bit.
template <class T>
std::array<T, 5> design_coefficients(BiquadKind kind, T g, T f, T qq, double sample_rate) {
  // Written in the cookbook's order of operations, so the synthetic amps' filters keep their bits.
  const T A = pow10(g / T{40});  // amplitude: the gain in dB split over the two ends
  const T sqrt_a = sqrt(A);
  const T w0 = (2 * std::numbers::pi) * f / T{sample_rate};
  const T c = cos(w0), alpha = sin(w0) / (2.0 * qq);
  const T one{1}, two{2};
  T b0{}, b1{}, b2{}, a0{}, a1{}, a2{};
  // The passes share their poles: a0 = 1 + alpha, a1 = -2 cos w0, a2 = 1 - alpha.
  const bool pass = kind == BiquadKind::LowPass || kind == BiquadKind::HighPass || kind == BiquadKind::AllPass;
  if (pass) {
    a0 = one + alpha;
    a1 = -2.0 * c;
    a2 = one - alpha;
  }
  switch (kind) {
    case BiquadKind::LowPass:
      b0 = 0.5 * (one - c);
      b1 = one - c;
      b2 = b0;
      break;
    case BiquadKind::HighPass:
      b0 = 0.5 * (one + c);
      b1 = T{-1} * (one + c);
      b2 = b0;
      break;
    case BiquadKind::AllPass:  // the zeros mirror the poles
      b0 = a2;
      b1 = a1;
      b2 = a0;
      break;
    case BiquadKind::Peak:
      b0 = one + alpha * A;
      b1 = -2.0 * c;
      b2 = one - alpha * A;
      a0 = one + alpha / A;
      a1 = -2.0 * c;
      a2 = one - alpha / A;
      break;
    case BiquadKind::LowShelf: {
      const T p = A + one, m = A - one, k = 2.0 * sqrt_a * alpha;
      b0 = A * (p - m * c + k);
      b1 = 2.0 * A * (m - p * c);
      b2 = A * (p - m * c - k);
      a0 = p + m * c + k;
      a1 = -2.0 * (m + p * c);
      a2 = p + m * c - k;
      break;
    }
    case BiquadKind::HighShelf: {
      const T p = A + one, m = A - one, k = 2.0 * sqrt_a * alpha;
      b0 = A * (p + m * c + k);
      b1 = -2.0 * A * (m + p * c);
      b2 = A * (p + m * c - k);
      a0 = p - m * c + k;
      a1 = two * (m - p * c);
      a2 = p - m * c - k;
      break;
    }
  }
  return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}
}  // namespace

BiquadDesign design_biquad(BiquadKind kind, double gain_db, double frequency, double q, double sample_rate) {
  const std::array<Dual, 5> coefficients =
      design_coefficients(kind, variable(gain_db, 0), variable(frequency, 1), variable(q, 2), sample_rate);
  BiquadDesign out;
  out.filter = {coefficients[0].v, coefficients[1].v, coefficients[2].v, coefficients[3].v, coefficients[4].v};
  for (size_t k = 0; k < 5; ++k) out.d[k] = coefficients[k].d;
  return out;
}

Biquad design_biquad_filter(BiquadKind kind, double gain_db, double frequency, double q, double sample_rate) {
  const std::array<double, 5> k = design_coefficients(kind, gain_db, frequency, q, sample_rate);
  return {k[0], k[1], k[2], k[3], k[4]};
}

}  // namespace namk
