// See wavenet.h. The layers hold the wiring; this file checks the config, chains the arrays, and
// keeps the streaming state and the FiLM refold.
#include "nn/wavenet.h"

#include <algorithm>
#include <limits>

#include "base/error.h"
#include "core/ops.h"

namespace namk {

namespace {
std::string field(size_t array, const char* key) {
  return "config.layers[" + std::to_string(array) + "]." + key;
}
}  // namespace

WaveNet::WaveNet(const ModelConfig& config) : Model(config) {
  const auto& layers = config_.wavenet.layers;
  if (layers.empty())
    throw InputError(describe_error("model config", "config.layers", "at least one layer array", "none"));
  const Index extra_condition = uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0;
  std::vector<Index> film_sites;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerArrayConfig& c = layers[i];
    auto require = [&](bool ok, const char* key, const std::string& expected, Index found) {
      if (!ok) throw InputError(describe_error("model config", field(i, key), expected, std::to_string(found)));
    };
    require(c.input_size == (i == 0 ? 1 : layers[i - 1].channels), "input_size",
            i == 0 ? "1 (the audio)" : "the previous array's channels", c.input_size);
    require(c.condition_size == 1, "condition_size", "1 (the audio)", c.condition_size);
    require(c.channels >= 1, "channels", "at least 1", c.channels);
    require(c.kernel_size >= 1, "kernel_size", "at least 1", c.kernel_size);
    require(c.head_size == (i + 1 < layers.size() ? layers[i + 1].channels : 1), "head_size",
            i + 1 < layers.size() ? "the next array's channels" : "1 (the output)", c.head_size);
    require(!c.dilations.empty(), "dilations", "at least one dilation", 0);
    for (Index d : c.dilations) require(d >= 1, "dilations", "dilations >= 1", d);
    const auto per_layer = [&](size_t size, const char* key) {
      require(size == 0 || size == c.dilations.size(), key, "one entry per dilation", static_cast<Index>(size));
    };
    per_layer(c.kernel_sizes.size(), "kernel_sizes");
    per_layer(c.activations.size(), "activation");
    per_layer(c.gated_layers.size(), "gating_mode");
    for (Index k : c.kernel_sizes) require(k >= 1, "kernel_sizes", "kernel sizes >= 1", k);
    require(c.head_kernel_size >= 1, "head.kernel_size", "at least 1", c.head_kernel_size);
    arrays_.emplace_back(layout_, "layers[" + std::to_string(i) + "].", c, c.condition_size + extra_condition,
                         config_.film.head, film_sites);
  }
  finish_layout(film_sites);
}

Index WaveNet::receptive_field() const {
  Index r = 1;
  for (const LayerArray& a : arrays_) r += a.reach();
  return r;
}

double WaveNet::flops_per_sample() const {
  double f = 0;
  for (const LayerArray& a : arrays_) f += a.flops();
  return f + 1;  // head_scale
}

Var WaveNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  Var cond = conditioning(t, knob_values, grad);
  // The input mixer's condition: the audio, plus the knobs as constant channels for concat.
  const Var condition = uses_concat() ? with_knob_channels(t, x, cond) : x;
  const ParamBuffers p = param_buffers(grad);
  ResidualLayerResult r{x, Var{}};
  for (const LayerArray& a : arrays_) r = a.forward(t, p, r.h, condition, r.head, conditioner(), cond);
  return scale(t, r.head, static_cast<Scalar>(config_.wavenet.head_scale));
}

void WaveNet::prepare_stream(int max_block) {
  Index max_cz = 0, max_c = 0;
  states_.resize(arrays_.size());
  for (size_t i = 0; i < arrays_.size(); ++i) {
    arrays_[i].prepare(params_.data(), conditioner(), max_block, states_[i]);
    max_cz = std::max(max_cz, arrays_[i].z_channels());
    max_c = std::max(max_c, arrays_[i].config().channels);
  }
  scratch_.z.resize(max_cz, max_block);
  scratch_.post.resize(max_cz, max_block);
  scratch_.a.resize(max_c, max_block);
  condition_.resize(arrays_.front().condition_channels(), max_block);
  // NaN never equals a conditioning value, so the first block folds (without allocating).
  folded_cond_ = Vec::Constant(conditioning_now().size(), std::numeric_limits<Scalar>::quiet_NaN());
}

void WaveNet::reset_stream() noexcept {
  for (size_t i = 0; i < arrays_.size(); ++i) arrays_[i].reset(states_[i]);
}

void WaveNet::fold_film(const Vec& cond) noexcept {
  for (size_t i = 0; i < arrays_.size(); ++i) arrays_[i].fold_film(conditioner(), cond, states_[i]);
  folded_cond_ = cond;
}

void WaveNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Vec& cond = conditioning_now();
  // Knobs are still between moves and step every few samples while one ramps: refold only then.
  if (uses_film() && folded_cond_ != cond) fold_film(cond);
  condition_.topLeftCorner(1, n) = ConstMatMap(in, 1, n);
  if (uses_concat()) fill_knob_channels(cond, condition_.block(1, 0, cond.size(), n));
  const ConstMatMap condition(condition_.data(), condition_.rows(), n);
  for (size_t i = 0; i < arrays_.size(); ++i) {
    const LayerArray& a = arrays_[i];
    // Each array reads the previous one's residual stream and head.
    const ConstMatMap x = i == 0 ? ConstMatMap(in, 1, n) : ConstMatMap(states_[i - 1].out.data(), a.config().input_size, n);
    const ConstMatMap head_in =
        i == 0 ? ConstMatMap(nullptr, 0, 0) : ConstMatMap(states_[i - 1].head_out.data(), a.config().channels, n);
    a.process(states_[i], x, condition, head_in, scratch_, n);
  }
  const Scalar* head = states_.back().head_out.data();
  const Scalar head_scale = static_cast<Scalar>(config_.wavenet.head_scale);
  for (int i = 0; i < n; ++i) out[i] = head_scale * head[i];
}

std::unique_ptr<Model> WaveNet::baked(std::span<const double> knob_values) const {
  if (!has_knobs()) return Model::baked(knob_values);
  const Vec cond = conditioning_values(knob_values);
  ModelConfig plain = config_;
  plain.knobs.clear();
  auto out_model = make_model(plain);
  auto& out = static_cast<WaveNet&>(*out_model);
  for (size_t i = 0; i < arrays_.size(); ++i)
    arrays_[i].bake(params_.data(), conditioner(), cond, out.arrays_[i], out.params_.data());
  return out_model;
}

}  // namespace namk
