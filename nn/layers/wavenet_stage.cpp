// See wavenet_stage.h. The layer arrays hold the wiring; this file checks the config, chains the
// arrays, and keeps the streaming state and the FiLM refold.
#include "nn/layers/wavenet_stage.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/error.h"
#include "core/ops.h"

namespace namk {

WaveNetStage::WaveNetStage(ParamLayout& layout, const std::string& name, const std::string& field,
                           const WaveNetConfig& config, Index knob_channels, bool film_head,
                           std::vector<Index>& film_sites, Index condition_size, Index out_channels)
    : config_(config), knob_channels_(knob_channels), condition_size_(condition_size), out_channels_(out_channels) {
  const auto& layers = config_.layers;
  if (layers.empty())
    throw InputError(describe_error("model config", field + ".layers", "at least one layer array", "none"));
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerArrayConfig& c = layers[i];
    const std::string array = "layers[" + std::to_string(i) + "]";
    auto require = [&](bool ok, const char* key, const std::string& expected, Index found) {
      if (!ok)
        throw InputError(describe_error("model config", field + "." + array + "." + key, expected, std::to_string(found)));
    };
    const Index in = config_.in_channels;
    require(c.input_size == (i == 0 ? in : layers[i - 1].channels), "input_size",
            i > 0 ? "the previous array's channels" : in == 1 ? "1 (the audio)" : std::to_string(in) + " (in_channels)",
            c.input_size);
    require(c.condition_size == condition_size, "condition_size",
            std::to_string(condition_size) + " (the condition's channels: the audio, or a condition_dsp's output)",
            c.condition_size);
    require(c.channels >= 1, "channels", "at least 1", c.channels);
    require(c.kernel_size >= 1, "kernel_size", "at least 1", c.kernel_size);
    require(c.head_size == (i + 1 < layers.size() ? layers[i + 1].channels : out_channels), "head_size",
            i + 1 < layers.size() ? "the next array's channels" : std::to_string(out_channels) + " (the output)",
            c.head_size);
    // The previous head seeds this array's head sum.
    if (i > 0)
      require(c.head_input() == layers[i - 1].head_size, "head1x1.out_channels",
              "the previous array's head_size (its head seeds this array's head sum)", c.head_input());
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
    arrays_.emplace_back(layout, name + array + ".", c, c.condition_size + knob_channels, film_head, film_sites);
  }
}

Index WaveNetStage::reach() const {
  Index r = 0;
  for (const LayerArray& a : arrays_) r += a.reach();
  return r;
}

double WaveNetStage::flops() const {
  double f = 0;
  for (const LayerArray& a : arrays_) f += a.flops();
  return f + 1;  // head_scale
}

Var WaveNetStage::forward(Tape& t, const ParamBuffers& p, Var x, const KnobConditioner& knobs, Var cond,
                          Var given) const {
  // The input mixer's condition: the input, plus the knobs as constant channels for concat.
  const Var condition = given.valid() ? given : knob_channels_ > 0 ? with_knob_channels(t, x, cond) : x;
  ResidualLayerResult r{x, Var{}};
  for (const LayerArray& a : arrays_) r = a.forward(t, p, r.h, condition, r.head, knobs, cond);
  return scale(t, r.head, static_cast<Scalar>(config_.head_scale));
}

void WaveNetStage::prepare(const Scalar* params, const KnobConditioner& knobs, int max_block, State& s) const {
  Index max_cz = 0, max_c = 0;
  s.arrays.resize(arrays_.size());
  for (size_t i = 0; i < arrays_.size(); ++i) {
    arrays_[i].prepare(params, knobs, max_block, s.arrays[i]);
    max_cz = std::max(max_cz, arrays_[i].z_channels());
    max_c = std::max(max_c, arrays_[i].config().channels);
  }
  s.scratch.z.resize(max_cz, max_block);
  s.scratch.post.resize(max_cz, max_block);
  s.scratch.a.resize(max_c, max_block);
  s.condition.resize(arrays_.front().condition_channels(), max_block);
  // NaN never equals a conditioning value, so the first block folds (without allocating).
  s.folded_cond = Vec::Constant(knobs.outputs(), std::numeric_limits<Scalar>::quiet_NaN());
}

void WaveNetStage::reset(State& s) const noexcept {
  for (size_t i = 0; i < arrays_.size(); ++i) arrays_[i].reset(s.arrays[i]);
}

void WaveNetStage::process(State& s, const KnobConditioner& knobs, const Vec& cond, const Scalar* in, Scalar* out,
                           Index n, const Scalar* given) const noexcept {
  // Knobs are still between moves and step every few samples while one ramps: refold only then.
  // The column holds every FiLM site's gamma and beta (some 700 values for standard): compared as
  // bytes, not as floats one by one (Eigen's !=, a scalar loop that was 7% of standard's block 16
  // with knobs). Bitwise equal columns fold to the same weights; the initial NaN column equals none.
  auto changed = [&] {
    return s.folded_cond.size() != cond.size() ||
           std::memcmp(s.folded_cond.data(), cond.data(), sizeof(Scalar) * size_t(cond.size())) != 0;
  };
  if (knobs.film() && changed()) {
    for (size_t i = 0; i < arrays_.size(); ++i) arrays_[i].fold_film(knobs, cond, s.arrays[i]);
    s.folded_cond = cond;
  }
  // A plain copy per column (one run when the condition is the audio alone): Eigen's assignment to a
  // block of a runtime size peeled and looped per column, 3% of nano's block-16 time.
  const Scalar* source = given ? given : in;
  const Index rows = s.condition.rows();
  if (rows == condition_size_)
    std::copy_n(source, condition_size_ * n, s.condition.data());
  else
    for (Index t = 0; t < n; ++t)
      std::copy_n(source + t * condition_size_, condition_size_, s.condition.data() + t * rows);
  if (knob_channels_ > 0) fill_knob_channels(cond, s.condition.block(1, 0, cond.size(), n));
  const ConstMatMap condition(s.condition.data(), s.condition.rows(), n);
  for (size_t i = 0; i < arrays_.size(); ++i) {
    const LayerArray& a = arrays_[i];
    // Each array reads the previous one's residual stream and head.
    const ConstMatMap x =
        i == 0 ? ConstMatMap(in, config_.in_channels, n)
               : ConstMatMap(s.arrays[i - 1].out.data(), a.config().input_size, n);
    const ConstMatMap head_in =
        i == 0 ? ConstMatMap(nullptr, 0, 0) : ConstMatMap(s.arrays[i - 1].head_out.data(), a.config().head_input(), n);
    a.process(s.arrays[i], x, condition, head_in, s.scratch, n);
  }
  const Scalar* head = s.arrays.back().head_out.data();
  const Scalar head_scale = static_cast<Scalar>(config_.head_scale);
  for (Index i = 0; i < out_channels_ * n; ++i) out[i] = head_scale * head[i];
}

void WaveNetStage::bake(const Scalar* src, const KnobConditioner& knobs, const Vec& cond, const WaveNetStage& to,
                        Scalar* dst) const {
  for (size_t i = 0; i < arrays_.size(); ++i) arrays_[i].bake(src, knobs, cond, to.arrays_[i], dst);
}

}  // namespace namk
