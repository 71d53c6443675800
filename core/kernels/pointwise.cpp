// See pointwise.h. Every activation is written as whole-array Eigen expressions, which vectorise
// (Eigen's float tanh is a SIMD rational approximation accurate to a few ulp).
#include "core/kernels/pointwise.h"

#include "core/error.h"

namespace namk {

namespace {
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
  const Scalar slope = Scalar(kLeakyReluSlope);
  auto xa = x.array();
  switch (a) {
    case Activation::Identity: y = x; break;
    case Activation::Tanh: y.array() = xa.tanh(); break;
    case Activation::Sigmoid: y.array() = Scalar(1) / (Scalar(1) + (-xa).exp()); break;
    case Activation::ReLU: y.array() = xa.max(Scalar(0)); break;
    case Activation::LeakyReLU: y.array() = (xa > 0).select(xa, slope * xa); break;
    case Activation::Hardtanh: y.array() = xa.max(Scalar(-1)).min(Scalar(1)); break;
    case Activation::SiLU: y.array() = xa / (Scalar(1) + (-xa).exp()); break;
    case Activation::Softsign: y.array() = xa / (Scalar(1) + xa.abs()); break;
  }
}

void activation_backward(Activation a, ConstMatRef x, ConstMatRef y, ConstMatRef dy, MatRef dx) {
  const Scalar slope = Scalar(kLeakyReluSlope);
  auto xa = x.array();
  auto ya = y.array();
  auto g = dy.array();
  switch (a) {
    case Activation::Identity: dx += dy; break;
    case Activation::Tanh: dx.array() += g * (Scalar(1) - ya.square()); break;
    case Activation::Sigmoid: dx.array() += g * ya * (Scalar(1) - ya); break;
    case Activation::ReLU: dx.array() += (xa > 0).select(g, Scalar(0)); break;
    case Activation::LeakyReLU: dx.array() += (xa > 0).select(g, slope * g); break;
    case Activation::Hardtanh:
      dx.array() += (xa > Scalar(-1) && xa < Scalar(1)).select(g, Scalar(0));
      break;
    case Activation::SiLU: {
      // silu(x) = x s(x); silu'(x) = s(x) (1 + x (1 - s(x)))
      auto s = Scalar(1) / (Scalar(1) + (-xa).exp());
      dx.array() += g * s * (Scalar(1) + xa * (Scalar(1) - s));
      break;
    }
    case Activation::Softsign: dx.array() += g / (Scalar(1) + xa.abs()).square(); break;
  }
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
