// See pointwise.h. Every activation is written as whole-array Eigen expressions, which vectorise,
// except float tanh (tanh_float.cpp) and LeakyReLU (a plain loop, below).
#include "core/kernels/pointwise.h"

#include <cmath>
#include <cstring>

#include "base/error.h"
#include "core/kernels/tanh_float.h"

namespace namk {

namespace {

// The double build (gradient checks) keeps the exact tanh; the float one is tanh_float.cpp's.
[[maybe_unused]] void tanh_array(const double* x, double* y, Index n) {
  for (Index i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
[[maybe_unused]] void tanh_array_add(const double* x, double* y, const double* add, double* sum, Index n) {
  for (Index i = 0; i < n; ++i) {
    y[i] = std::tanh(x[i]);
    sum[i] = add[i] + y[i];
  }
}
using namk::tanh_array;  // the float overloads, which the ones above would hide
using namk::tanh_array_add;

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

void tanh_add(const Scalar* x, Scalar* y, const Scalar* add, Scalar* sum, Index n) {
  tanh_array_add(x, y, add, sum, n);
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

namespace {
typedef Scalar FilmVector __attribute__((vector_size(64)));
constexpr Index kFilmLanes = 64 / sizeof(Scalar);

// Columns of NV whole vectors (an LSTM-16's output: one), gamma and beta held in registers for the
// whole call. The general loop below reloads them and walks its row loop for every column, some
// twenty instructions per column for one multiply-add: 3.3% of an LSTM-16's streaming with knobs.
// The same expression on the same values as the general loop: the same bits (the LSTM render
// fixtures with FiLM cover it).
template <int NV, bool SHIFT>
void film_whole_vectors(const Scalar* xd, Index xs, const Scalar* g, const Scalar* b, Scalar* yd, Index ys,
                        Index cols) {
  FilmVector gv[NV], bv[NV] = {};
  for (int v = 0; v < NV; ++v) {
    std::memcpy(&gv[v], g + v * kFilmLanes, sizeof gv[v]);
    if constexpr (SHIFT) std::memcpy(&bv[v], b + v * kFilmLanes, sizeof bv[v]);
  }
  for (Index j = 0; j < cols; ++j)
    for (int v = 0; v < NV; ++v) {
      FilmVector xv;
      std::memcpy(&xv, xd + j * xs + v * kFilmLanes, sizeof xv);
      const FilmVector yv = SHIFT ? xv * gv[v] + bv[v] : xv * gv[v];
      std::memcpy(yd + j * ys + v * kFilmLanes, &yv, sizeof yv);
    }
}

template <int NV>
void film_whole_vectors(const Scalar* xd, Index xs, const Scalar* g, const Scalar* b, Scalar* yd, Index ys,
                        Index cols) {
  if (b)
    film_whole_vectors<NV, true>(xd, xs, g, b, yd, ys, cols);
  else
    film_whole_vectors<NV, false>(xd, xs, g, b, yd, ys, cols);
}
}  // namespace

// A column's rows in whole vectors (16 floats), then one at a time. Eigen's colwise broadcast
// took 3% of an LSTM-16's streaming with knobs, most of it per-column set-up for 16 rows; with
// y == x (FilmSite::apply, in place) a plain loop's runtime overlap check sent it to scalar code.
// x * gamma + beta is one fused multiply-add where the build contracts, in either form, as
// Eigen's expression was: the same values.
void film_forward(ConstMatRef x, ConstMatRef gamma, ConstMatRef beta, MatRef y) {
  // The Refs' fields read once: the stores are memcpys, which may alias anything, so reading them
  // in the loop reloaded them after every column.
  film_columns(x.data(), x.outerStride(), gamma.data(), beta.size() > 0 ? beta.data() : nullptr, x.rows(), x.cols(),
               y.data(), y.outerStride());
}

void film_columns(const Scalar* xd, Index xs, const Scalar* g, const Scalar* b, Index rows, Index cols, Scalar* yd,
                  Index ys) {
  constexpr Index lanes = kFilmLanes;
  typedef FilmVector V;
  const Index whole = rows - rows % lanes;
  switch (whole == rows ? rows / lanes : 0) {
    case 1: return film_whole_vectors<1>(xd, xs, g, b, yd, ys, cols);
    case 2: return film_whole_vectors<2>(xd, xs, g, b, yd, ys, cols);
    case 3: return film_whole_vectors<3>(xd, xs, g, b, yd, ys, cols);
    case 4: return film_whole_vectors<4>(xd, xs, g, b, yd, ys, cols);
    default: break;
  }
  for (Index j = 0; j < cols; ++j) {
    const Scalar* xj = xd + j * xs;
    Scalar* yj = yd + j * ys;
    for (Index o = 0; o < whole; o += lanes) {
      V xv, gv, bv = {};
      std::memcpy(&xv, xj + o, sizeof xv);
      std::memcpy(&gv, g + o, sizeof gv);
      if (b) std::memcpy(&bv, b + o, sizeof bv);
      const V yv = b ? xv * gv + bv : xv * gv;
      std::memcpy(yj + o, &yv, sizeof yv);
    }
    for (Index o = whole; o < rows; ++o) yj[o] = b ? xj[o] * g[o] + b[o] : xj[o] * g[o];
  }
}

void film_backward(ConstMatRef x, ConstMatRef gamma, ConstMatRef dy, MatRef dx, MatRef dgamma,
                   MatRef dbeta) {
  if (dx.size() > 0) dx.array() += dy.array().colwise() * gamma.col(0).array();
  if (dgamma.size() > 0) dgamma.col(0) += (dy.array() * x.array()).matrix().rowwise().sum();
  if (dbeta.size() > 0) dbeta.col(0) += dy.rowwise().sum();
}

}  // namespace namk
