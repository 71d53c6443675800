// See model.h: the parts every architecture shares (parameters, knobs, conditioning, smoothing,
// block splitting) and the factory.
#include "nn/model.h"

#include <algorithm>
#include <cmath>

#include "core/denormals.h"
#include "base/error.h"
#include "nn/architecture.h"
#include "nn/model_config.h"

namespace namk {

namespace {
// While a knob ramps, conditioning is held constant over sub-blocks of this many samples: a
// staircase of steps well under 1 ms, inaudible, and the layers keep their constant-knob path.
constexpr Index kRampChunk = 16;
}  // namespace

Model::Model(ModelConfig config) : config_(std::move(config)) {
  for (const KnobSpec& k : config_.knobs) {
    if (!(k.min < k.max))
      throw InputError(describe_error("model config", "knobs." + k.name, "min < max",
                                      std::to_string(k.min) + " >= " + std::to_string(k.max)));
    knob_values_.push_back(k.default_value);
  }
  if (!(config_.film.hidden >= 1))
    throw InputError(describe_error("model config", "conditioning.hidden", "at least 1",
                                    std::to_string(config_.film.hidden)));
}

void Model::finish_layout(const std::vector<Index>& film_sites, Index controls, const RowRouting& routing) {
  arch_params_ = layout_.size();
  conditioner_.build(config_, film_sites, layout_, controls, routing);
  total_params_ = layout_.size();
}

namespace {
// PyTorch's default: uniform in +-1/sqrt(fan_in).
void init_uniform(Scalar* p, Index n, Index fan_in, std::mt19937_64& rng) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<Index>(fan_in, 1)));
  std::uniform_real_distribution<double> u(-bound, bound);
  for (Index i = 0; i < n; ++i) p[i] = static_cast<Scalar>(u(rng));
}
}  // namespace

void Model::init_params(uint64_t seed) {
  std::mt19937_64 rng(seed);
  params_.setZero();
  for (const ParamView& v : layout_.views())
    if (v.fan_in > 0) init_uniform(params_.data() + v.offset, v.size(), v.fan_in, rng);
  conditioner_.init(params_.data());
  if (prepared()) prepare(max_block_);
}

void Model::check_input(const Tape& t, Var x) const {
  if (t.rows(x) != 1 || t.cols(x) < receptive_field())
    throw UsageError(config_.architecture + " forward: expected x of shape (1, >= " +
                     std::to_string(receptive_field()) + "), found (" + std::to_string(t.rows(x)) + ", " +
                     std::to_string(t.cols(x)) + ")");
}

Index Model::input_channels() const { return 1 + (uses_concat() ? static_cast<Index>(config_.knobs.size()) : 0); }

Model::ForwardInput Model::forward_input(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  const Var cond = conditioning(t, knob_values, grad);
  return {uses_concat() ? with_knob_channels(t, x, cond) : x, cond, param_buffers(grad)};
}

void Model::stream_input(const Scalar* in, MatRef x) const noexcept {
  x.topRows(1) = ConstMatMap(in, 1, x.cols());
  if (uses_concat()) fill_knob_channels(cond_now_, x.bottomRows(cond_now_.size()));
}

Var Model::conditioning(Tape& t, std::span<const double> knob_values, Scalar* grad) const {
  return conditioner_.forward(t, param_buffers(grad), knob_values);
}

Vec Model::conditioning_values(std::span<const double> knob_values) const {
  if (!has_knobs()) return Vec();
  if (knob_values.size() != config_.knobs.size())
    throw UsageError("model forward: expected " + std::to_string(config_.knobs.size()) + " knob values, found " +
                     std::to_string(knob_values.size()));
  KnobConditioner::State state;
  conditioner_.prepare(params_.data(), state);
  Vec column(conditioner_.outputs());
  conditioner_.evaluate(params_.data(), knob_values, state, column.data());
  return column;
}

std::unique_ptr<Model> Model::baked(std::span<const double> knob_values) const {
  if (has_knobs())
    throw UsageError("baking knobs into a plain model is implemented for WaveNet only, not " +
                     config_.architecture);
  (void)knob_values;
  auto copy = make_model(config_);
  copy->params() = params_;
  return copy;
}

void Model::update_conditioning_target() noexcept {
  if (!has_knobs() || !prepared()) return;
  conditioner_.evaluate(params_.data(), knob_values_, conditioner_state_, cond_target_.data());
  if (ramp_samples_ > 0) {
    cond_from_ = cond_now_;
    ramp_left_ = ramp_length_ = ramp_samples_;
  } else {
    cond_now_ = cond_target_;
    ramp_left_ = 0;
  }
}

void Model::prepare(int max_block) {
  if (max_block < 1)
    throw UsageError("prepare: max_block must be >= 1, found " + std::to_string(max_block));
  cond_now_ = Vec::Zero(conditioner_.outputs());
  cond_from_ = cond_now_;
  cond_target_ = cond_now_;
  conditioner_.prepare(params_.data(), conditioner_state_);
  max_block_ = max_block;
  silence_.assign(static_cast<size_t>(max_block), Scalar(0));
  discard_.assign(static_cast<size_t>(max_block), Scalar(0));
  finite_in_.assign(static_cast<size_t>(max_block), Scalar(0));
  nonfinite_inputs_ = nonfinite_resets_ = 0;
  set_smoothing_ms(config_.smoothing_ms);
  prepare_stream(max_block);
  update_conditioning_target();
  reset();
}

void Model::reset() {
  if (!prepared()) return;
  reset_stream();
  cond_now_ = cond_target_;
  ramp_left_ = 0;
}

void Model::prewarm() noexcept {
  if (!prepared()) return;
  for (Index left = receptive_field(); left > 0;) {
    const int n = static_cast<int>(std::min<Index>(left, max_block_));
    process_block(silence_.data(), discard_.data(), n);
    left -= n;
  }
}

void Model::set_smoothing_ms(double ms) noexcept {
  config_.smoothing_ms = std::max(0.0, ms);
  ramp_samples_ = static_cast<Index>(std::lround(config_.smoothing_ms * config_.sample_rate / 1000.0));
  // A ramp in progress finishes over its own length; turning smoothing off ends it now.
  if (ramp_samples_ == 0 && ramp_left_ > 0) {
    cond_now_ = cond_target_;
    ramp_left_ = 0;
  }
}

void Model::set_knob(std::string_view name, double value) {
  for (size_t i = 0; i < config_.knobs.size(); ++i)
    if (config_.knobs[i].name == name) return set_knob(static_cast<Index>(i), value);
  std::string known;
  for (const KnobSpec& k : config_.knobs) known += (known.empty() ? "" : ", ") + k.name;
  throw UsageError("set_knob: no knob named '" + std::string(name) + "' (knobs: " +
                   (known.empty() ? "none" : known) + ")");
}

void Model::set_knob(Index index, double value) noexcept {
  // std::clamp passes NaN through, and a NaN knob would poison every later block.
  if (index < 0 || index >= static_cast<Index>(config_.knobs.size()) || !std::isfinite(value)) return;
  const KnobSpec& k = config_.knobs[static_cast<size_t>(index)];
  knob_values_[static_cast<size_t>(index)] = std::clamp(value, k.min, k.max);
  update_conditioning_target();
}

void Model::process(const Scalar* in, Scalar* out, int n) noexcept {
  if (!prepared()) {
    std::fill_n(out, std::max(n, 0), Scalar(0));
    return;
  }
  // Decaying tails reach denormal floats, which cost up to 100x per operation on x86.
  ScopedFlushDenormals flush;
  while (n > 0) {
    int chunk = std::min(n, max_block_);
    if (ramp_left_ > 0) {
      chunk = static_cast<int>(std::min<Index>(chunk, std::min(kRampChunk, ramp_left_)));
      ramp_left_ -= chunk;
      const Scalar remaining = Scalar(ramp_left_) / Scalar(ramp_length_);
      cond_now_ = cond_target_ + remaining * (cond_from_ - cond_target_);
    }
    // One vectorised sum per block is the whole cost for finite audio: NaN and infinities
    // propagate into it, and only then are samples looked at one by one. Finite input takes
    // exactly the path it took before, so streaming stays bit-identical across block sizes.
    const Scalar* block_in = in;
    if (!std::isfinite(ConstMatMap(in, 1, chunk).sum())) block_in = finite_input(in, chunk);
    process_block(block_in, out, chunk);
    if (!std::isfinite(ConstMatMap(out, 1, chunk).sum())) recover_output(out, chunk);
    in += chunk;
    out += chunk;
    n -= chunk;
  }
}

const Scalar* Model::finite_input(const Scalar* in, int n) noexcept {
  for (int i = 0; i < n; ++i) {
    // A finite sum can overflow to infinity, so each sample is judged on its own.
    const bool finite = std::isfinite(in[i]);
    finite_in_[static_cast<size_t>(i)] = finite ? in[i] : Scalar(0);
    nonfinite_inputs_ += !finite;
  }
  return finite_in_.data();
}

void Model::recover_output(Scalar* out, int n) noexcept {
  bool finite = true;
  for (int i = 0; i < n; ++i) finite = finite && std::isfinite(out[i]);
  if (finite) return;  // large but finite samples whose sum overflowed
  // Some state (a history, an LSTM cell) holds NaN or infinity and would keep producing it:
  // start again from silence. Zeros rather than prewarm(), which costs a receptive field.
  std::fill_n(out, n, Scalar(0));
  reset_stream();
  ++nonfinite_resets_;
}

std::vector<std::string> preset_names() { return {"standard", "lite", "feather", "nano", "a2-lite", "a2-full"}; }

std::string preset_list() {
  std::string list;
  for (const std::string& n : preset_names()) list += (list.empty() ? "" : ", ") + n;
  return list;
}

namespace {
// NAM's A2 (the submodels of its A2.nam, docs/model_format.md): one layer array of 23 LeakyReLU
// layers with per-layer kernel sizes, and a 16-tap head with bias; a2-lite 3 channels, a2-full 8.
LayerArrayConfig a2_array(Index channels) {
  LayerArrayConfig a;
  a.channels = channels;
  a.head_size = 1;
  a.head_bias = true;
  a.head_kernel_size = 16;
  a.activation = Activation::LeakyReLU;  // slope 0.01, as A2's
  const std::vector<Index> cycle{1, 3, 7, 17, 41, 101, 239};
  for (int i = 0; i < 2; ++i) a.dilations.insert(a.dilations.end(), cycle.begin(), cycle.end());
  a.dilations.insert(a.dilations.end(), {1, 13});
  a.dilations.insert(a.dilations.end(), cycle.begin(), cycle.end());
  a.kernel_sizes.assign(14, 6);
  a.kernel_sizes.insert(a.kernel_sizes.end(), {15, 15});
  a.kernel_sizes.insert(a.kernel_sizes.end(), 7, 6);
  a.kernel_size = 6;
  return a;
}
}  // namespace

ModelConfig preset_config(const std::string& name) {
  auto range = [](Index from, Index to) {  // powers of two from..to
    std::vector<Index> d;
    for (Index v = from; v <= to; v *= 2) d.push_back(v);
    return d;
  };
  auto array = [](Index in, Index c, Index head, std::vector<Index> dilations, bool head_bias) {
    LayerArrayConfig a;
    a.input_size = in;
    a.channels = c;
    a.head_size = head;
    a.dilations = std::move(dilations);
    a.head_bias = head_bias;
    return a;
  };
  ModelConfig config;
  config.architecture = "WaveNet";
  if (name == "standard") {
    config.wavenet.layers = {array(1, 16, 8, range(1, 512), false),
                             array(16, 8, 1, range(1, 512), true)};
  } else if (name == "a2-lite" || name == "a2-full") {
    config.wavenet.layers = {a2_array(name == "a2-lite" ? 3 : 8)};
    config.wavenet.head_scale = 0.01;
  } else {
    Index c;
    if (name == "lite")
      c = 12;
    else if (name == "feather")
      c = 8;
    else if (name == "nano")
      c = 4;
    else
      throw InputError(describe_error("", "preset", "one of " + preset_list(), "'" + name + "'"));
    std::vector<Index> second = range(128, 512);
    for (Index d : range(1, 512)) second.push_back(d);
    config.wavenet.layers = {array(1, c, c / 2, range(1, 64), false),
                             array(c, c / 2, 1, second, true)};
  }
  return config;
}

std::unique_ptr<Model> make_model(const ModelConfig& config, const ParamCountCheck& check) {
  const Architecture* arch = find_architecture(config.architecture);
  if (!arch)
    throw InputError(describe_error("model config", "architecture", "one of " + architecture_names(),
                                    "'" + config.architecture + "'"));
  std::unique_ptr<Model> m = arch->build(config);
  // Counted in the constructor, not yet allocated: refuse what would not fit before it costs.
  if (check) check(m->arch_params_, m->total_params_);
  if (m->total_params_ > kMaxModelParams)
    throw InputError(describe_error("model config", "config",
                                    "at most " + std::to_string(kMaxModelParams) + " parameters",
                                    std::to_string(m->total_params_)));
  if (m->receptive_field() > kMaxReceptiveField)
    throw InputError(describe_error("model config", "config",
                                    "a receptive field of at most " + std::to_string(kMaxReceptiveField) +
                                        " samples",
                                    std::to_string(m->receptive_field())));
  m->params_ = Vec::Zero(m->total_params_);
  return m;
}

std::unique_ptr<Model> make_model(const ModelConfig& config) { return make_model(config, {}); }

std::unique_ptr<Model> make_model(const std::string& preset_or_path) {
  for (const std::string& name : preset_names())
    if (name == preset_or_path) return make_model(preset_config(name));
  if (preset_or_path.find('/') == std::string::npos &&
      preset_or_path.find(".json") == std::string::npos)
    return make_model(preset_config(preset_or_path));  // throws, listing the presets
  return make_model(load_model_config(preset_or_path));
}

}  // namespace namk
