// See adam.h. The bias corrections are computed in double: at small step counts 1 - beta^t is tiny
// and float rounding there would perturb the very first updates.
#include "train/adam.h"

#include <cmath>
#include <string>

#include "base/error.h"

namespace namk {

Adam::Adam(Index num_params, AdamConfig config) : config_(config) {
  state_.m = Vec::Zero(num_params);
  state_.v = Vec::Zero(num_params);
}

void Adam::set_state(AdamState state) {
  if (state.m.size() != state_.m.size() || state.v.size() != state_.v.size())
    throw UsageError("adam: state for " + std::to_string(state.m.size()) +
                     " parameters does not fit a model of " + std::to_string(state_.m.size()));
  state_ = std::move(state);
}

void Adam::step(Scalar* params, const Scalar* grads, double lr) {
  const Index n = state_.m.size();
  Eigen::Map<Vec> p(params, n);
  Eigen::Map<const Vec> g(grads, n);
  ++state_.steps;
  const double t = static_cast<double>(state_.steps);
  const Scalar b1 = static_cast<Scalar>(config_.beta1), b2 = static_cast<Scalar>(config_.beta2);
  const Scalar step_size = static_cast<Scalar>(lr / (1 - std::pow(config_.beta1, t)));
  const Scalar root_correction = static_cast<Scalar>(1 / std::sqrt(1 - std::pow(config_.beta2, t)));
  const Scalar eps = static_cast<Scalar>(config_.eps);
  if (config_.weight_decay > 0) p *= static_cast<Scalar>(1 - lr * config_.weight_decay);
  state_.m = b1 * state_.m + (1 - b1) * g;
  state_.v.array() = b2 * state_.v.array() + (1 - b2) * g.array().square();
  p.array() -= step_size * state_.m.array() / (state_.v.array().sqrt() * root_correction + eps);
}

double exponential_lr(double lr0, double decay, int64_t epoch) {
  return lr0 * std::pow(decay, static_cast<double>(epoch));
}

double clip_grad_norm(Scalar* grads, Index n, double max_norm) {
  Eigen::Map<Vec> g(grads, n);
  const double norm = std::sqrt(g.template cast<double>().squaredNorm());
  if (max_norm > 0 && norm > max_norm) g *= static_cast<Scalar>(max_norm / norm);
  return norm;
}

}  // namespace namk
