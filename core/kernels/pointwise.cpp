// See pointwise.h. Every activation is written as whole-array Eigen expressions, which vectorise,
// except float tanh: Eigen 3.4 has no AVX-512 packet tanh and falls back to a scalar call per
// element (30% of streaming time), so float tanh is the same rational approximation written once
// with GCC vector extensions (SSE2 in the default build, one AVX-512 register with -march=native).
#include "core/kernels/pointwise.h"

#include <cmath>
#include <cstring>

#include "base/error.h"

namespace namk {

namespace {

typedef float Float16 __attribute__((vector_size(64)));

// Eigen's generic_fast_tanh_float: a 13/6 odd/even rational fit, inputs clamped to +-7.9053
// (where it reaches 1), tanh(x) = x below 4e-4. Max error vs std::tanh over [-10, 10]: 4.0e-7
// absolute and relative with SSE2, 2.9e-7 with FMA (Eigen's scalar version: the same); tested in
// test_pointwise.cpp. In place by reference: passing a 64-byte vector by value warns (-Wpsabi)
// in the SSE2 build.
inline void tanh16(Float16& v) {
  const Float16 a = v;
  const float clamp = 7.90531110763549805f;
  const Float16 x = a < -clamp ? -clamp : (a > clamp ? clamp : a);
  const Float16 x2 = x * x;
  Float16 p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  Float16 q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  v = a * a < 0.0004f * 0.0004f ? a : p / q;
}

// n contiguous floats; the tail goes through the same vector code on a zero-padded copy, so each
// element's result does not depend on where it sits in the array.
[[maybe_unused]] void tanh_array(const float* x, float* y, Index n) {
  constexpr Index lanes = 16;
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    Float16 v;
    std::memcpy(&v, x + i, sizeof v);
    tanh16(v);
    std::memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {
    Float16 v = {};
    std::memcpy(&v, x + i, static_cast<size_t>(n - i) * sizeof(float));
    tanh16(v);
    std::memcpy(y + i, &v, static_cast<size_t>(n - i) * sizeof(float));
  }
}

// The double build (gradient checks) keeps the exact tanh. Each build uses one of the two.
[[maybe_unused]] void tanh_array(const double* x, double* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void tanh_forward(ConstMatRef x, MatRef y) {
  if (x.outerStride() == x.rows() && y.outerStride() == y.rows())
    tanh_array(x.data(), y.data(), x.size());
  else
    for (Index t = 0; t < x.cols(); ++t) tanh_array(x.col(t).data(), y.col(t).data(), x.rows());
}

// LeakyReLU as a plain loop, which GCC vectorises with a compare and a masked multiply. Eigen's
// select over a block with few rows (a WaveNet layer's (C, T) tile) compiled to a scalar loop with
// a branch per value, mispredicted on about half of them: 38% of A2-lite's streaming time.
void leaky_relu_array(const Scalar* x, Scalar* y, Index n) {
  const Scalar slope = Scalar(kLeakyReluSlope);
  for (Index i = 0; i < n; ++i) y[i] = x[i] > 0 ? x[i] : slope * x[i];
}

void leaky_relu_forward(ConstMatRef x, MatRef y) {
  if (x.outerStride() == x.rows() && y.outerStride() == y.rows())
    leaky_relu_array(x.data(), y.data(), x.size());
  else
    for (Index t = 0; t < x.cols(); ++t) leaky_relu_array(x.col(t).data(), y.col(t).data(), x.rows());
}

struct ActivationName {
  Activation activation;
  const char* name;
};
constexpr ActivationName kActivationNames[] = {
    {Activation::Identity, "Identity"}, {Activation::Tanh, "Tanh"},
    {Activation::Sigmoid, "Sigmoid"},   {Activation::ReLU, "ReLU"},
    {Activation::LeakyReLU, "LeakyReLU"}, {Activation::Hardtanh, "Hardtanh"},
    {Activation::SiLU, "SiLU"},         {Activation::Softsign, "Softsign"},
};

}  // namespace

Activation activation_from_name(const std::string& name) {
  std::string known;
  for (const auto& a : kActivationNames) {
    if (name == a.name) return a.activation;
    known += (known.empty() ? "" : ", ") + std::string(a.name);
  }
  throw UsageError("activation: expected one of " + known + ", found '" + name + "'");
}

std::string activation_name(Activation a) {
  for (const auto& n : kActivationNames)
    if (n.activation == a) return n.name;
  return "?";
}

void activation_forward(Activation a, ConstMatRef x, MatRef y) {
  auto xa = x.array();
  switch (a) {
    case Activation::Identity: y = x; break;
    case Activation::Tanh: tanh_forward(x, y); break;
    case Activation::Sigmoid: y.array() = Scalar(1) / (Scalar(1) + (-xa).exp()); break;
    case Activation::ReLU: y.array() = xa.max(Scalar(0)); break;
    case Activation::LeakyReLU: leaky_relu_forward(x, y); break;
    case Activation::Hardtanh: y.array() = xa.max(Scalar(-1)).min(Scalar(1)); break;
    case Activation::SiLU: y.array() = xa / (Scalar(1) + (-xa).exp()); break;
    case Activation::Softsign: y.array() = xa / (Scalar(1) + xa.abs()); break;
  }
}

void activation_forward_views(Activation a, const ConstMatView& x, const MatView& y) {
  if (x.outerStride() == x.rows() && y.outerStride() == y.rows()) {
    if (a == Activation::Tanh) return tanh_array(x.data(), y.data(), x.size());
    if (a == Activation::LeakyReLU) return leaky_relu_array(x.data(), y.data(), x.size());
  }
  auto y_map = as_eigen(y);
  activation_forward(a, as_eigen(x), y_map);
}

namespace {
// dx += f'(x) ⊙ dy when ACCUMULATE, else dx = f'(x) ⊙ dy.
template <bool ACCUMULATE>
void activation_backward_impl(Activation a, ConstMatRef x, ConstMatRef y, ConstMatRef dy, MatRef dx) {
  const Scalar slope = Scalar(kLeakyReluSlope);
  auto xa = x.array();
  auto ya = y.array();
  auto g = dy.array();
  auto put = [&](const auto& value) {
    if constexpr (ACCUMULATE)
      dx.array() += value;
    else
      dx.array() = value;
  };
  switch (a) {
    case Activation::Identity: put(g); break;
    case Activation::Tanh: put(g * (Scalar(1) - ya.square())); break;
    case Activation::Sigmoid: put(g * ya * (Scalar(1) - ya)); break;
    case Activation::ReLU: put((xa > 0).select(g, Scalar(0))); break;
    case Activation::LeakyReLU: put((xa > 0).select(g, slope * g)); break;
    case Activation::Hardtanh: put((xa > Scalar(-1) && xa < Scalar(1)).select(g, Scalar(0))); break;
    case Activation::SiLU: {
      // silu(x) = x s(x); silu'(x) = s(x) (1 + x (1 - s(x)))
      auto s = Scalar(1) / (Scalar(1) + (-xa).exp());
      put(g * s * (Scalar(1) + xa * (Scalar(1) - s)));
      break;
    }
    case Activation::Softsign: put(g / (Scalar(1) + xa.abs()).square()); break;
  }
}
}  // namespace

void activation_backward(Activation a, ConstMatRef x, ConstMatRef y, ConstMatRef dy, MatRef dx) {
  activation_backward_impl<true>(a, x, y, dy, dx);
}

void activation_gradient(Activation a, ConstMatRef x, ConstMatRef y, ConstMatRef dy, MatRef dx) {
  activation_backward_impl<false>(a, x, y, dy, dx);
}

bool activation_gradient_reads_input(Activation a) {
  switch (a) {
    case Activation::Identity:
    case Activation::Tanh:
    case Activation::Sigmoid: return false;
    case Activation::ReLU:
    case Activation::LeakyReLU:
    case Activation::Hardtanh:
    case Activation::SiLU:
    case Activation::Softsign: return true;
  }
  return true;
}

void film_forward(ConstMatRef x, ConstMatRef gamma, ConstMatRef beta, MatRef y) {
  if (beta.size() > 0)
    y.array() = (x.array().colwise() * gamma.col(0).array()).colwise() + beta.col(0).array();
  else
    y.array() = x.array().colwise() * gamma.col(0).array();
}

void film_backward(ConstMatRef x, ConstMatRef gamma, ConstMatRef dy, MatRef dx, MatRef dgamma,
                   MatRef dbeta) {
  if (dx.size() > 0) dx.array() += dy.array().colwise() * gamma.col(0).array();
  if (dgamma.size() > 0) dgamma.col(0) += (dy.array() * x.array()).matrix().rowwise().sum();
  if (dbeta.size() > 0) dbeta.col(0) += dy.rowwise().sum();
}

}  // namespace namk
