// See model.h: the parts every architecture shares (parameters, knobs, conditioning, smoothing,
// block splitting) and the factory.
#include "nn/model.h"

#include <algorithm>
#include <cmath>

#include "core/denormals.h"
#include "base/error.h"
#include "core/kernels/conv1d.h"
#include "core/ops.h"
#include "nn/convnet.h"
#include "nn/lstm.h"
#include "nn/model_config.h"
#include "nn/nam_weight.h"
#include "nn/wavenet.h"

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

void Model::finish_layout(const std::vector<Index>& film_sites) {
  arch_params_ = layout_.size();
  const Index nk = static_cast<Index>(config_.knobs.size());
  if (uses_film()) {
    film_outputs_ = 0;
    for (Index c : film_sites) {
      film_site_offsets_.push_back(film_outputs_);
      film_site_sizes_.push_back(c);
      film_outputs_ += config_.film.shift ? 2 * c : c;
    }
    const Index h = config_.film.hidden;
    film_at_.w1 = layout_.add("film.w1", {h, nk}, nk);
    film_at_.b1 = layout_.add("film.b1", {h}, nk);
    film_at_.w2 = layout_.add("film.w2", {film_outputs_, h}, 0);  // zero: see init_params()
    film_at_.b2 = layout_.add("film.b2", {film_outputs_}, 0);
  } else if (uses_concat()) {
    film_outputs_ = nk;
  }
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
  if (uses_film()) {
    // w2 stays zero; b2 gives gamma = 1, beta = 0 whatever the knobs.
    Scalar* b2 = params_.data() + film_at_.b2;
    for (size_t s = 0; s < film_site_offsets_.size(); ++s)
      std::fill_n(b2 + film_site_offsets_[s], film_site_sizes_[s], Scalar(1));
  }
  if (prepared()) prepare(max_block_);
}

Var Model::conditioning(Tape& t, std::span<const double> knob_values, Scalar* grad) const {
  const Index nk = static_cast<Index>(config_.knobs.size());
  if (nk == 0) return Var{};
  if (static_cast<Index>(knob_values.size()) != nk)
    throw UsageError("model forward: expected " + std::to_string(nk) + " knob values, found " +
                     std::to_string(knob_values.size()));
  Var k = t.output(nk, 1, false);
  for (Index i = 0; i < nk; ++i)
    t.value(k)(i, 0) = static_cast<Scalar>(config_.knobs[i].normalise(knob_values[i]));
  if (uses_concat()) return k;
  const Index h = config_.film.hidden, f = film_outputs_;
  const Scalar* p = params_.data();
  auto g = [&](Index offset) { return grad ? grad + offset : nullptr; };
  const Index w1 = film_at_.w1, b1 = film_at_.b1, w2 = film_at_.w2, b2 = film_at_.b2;
  Var hidden = conv1d(t, k, nam_weight(t, p + w1, g(w1), h, nk, 1), nam_vector(t, p + b1, g(b1), h), 1);
  hidden = activation(t, config_.film.activation, hidden);
  return conv1d(t, hidden, nam_weight(t, p + w2, g(w2), f, h, 1), nam_vector(t, p + b2, g(b2), f), 1);
}

Vec Model::conditioning_values(std::span<const double> knob_values) const {
  Tape t;
  Var c = conditioning(t, knob_values, nullptr);
  return c.valid() ? Vec(t.value(c).col(0)) : Vec();
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
  const Index nk = static_cast<Index>(config_.knobs.size());
  if (nk == 0 || !prepared()) return;
  if (uses_concat()) {
    for (Index i = 0; i < nk; ++i)
      cond_target_[i] = static_cast<Scalar>(config_.knobs[i].normalise(knob_values_[i]));
  } else {
    for (Index i = 0; i < nk; ++i)
      film_knobs_(i, 0) = static_cast<Scalar>(config_.knobs[i].normalise(knob_values_[i]));
    const Index h = config_.film.hidden, f = film_outputs_;
    const ConstMatMap b1(params_.data() + film_at_.b1, h, 1), b2(params_.data() + film_at_.b2, f, 1);
    conv1d_forward(film_knobs_, film_w1_, b1, 1, film_hidden_);
    activation_forward(config_.film.activation, film_hidden_, film_hidden_);
    conv1d_forward(film_hidden_, film_w2_, b2, 1, MatMap(cond_target_.data(), f, 1));
  }
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
  const Index nk = static_cast<Index>(config_.knobs.size());
  cond_now_ = Vec::Zero(film_outputs_);
  cond_from_ = cond_now_;
  cond_target_ = cond_now_;
  if (uses_film()) {
    const Index h = config_.film.hidden, f = film_outputs_;
    film_w1_.resize(h, nk);
    film_w2_.resize(f, h);
    nam_weight_pack(params_.data() + film_at_.w1, nk, 1, film_w1_);
    nam_weight_pack(params_.data() + film_at_.w2, h, 1, film_w2_);
    film_knobs_.resize(nk, 1);
    film_hidden_.resize(h, 1);
  }
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

std::vector<std::string> preset_names() { return {"standard", "lite", "feather", "nano"}; }

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
  } else {
    Index c;
    if (name == "lite")
      c = 12;
    else if (name == "feather")
      c = 8;
    else if (name == "nano")
      c = 4;
    else {
      std::string known;
      for (const std::string& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
      throw InputError(describe_error("", "preset", "one of " + known, "'" + name + "'"));
    }
    std::vector<Index> second = range(128, 512);
    for (Index d : range(1, 512)) second.push_back(d);
    config.wavenet.layers = {array(1, c, c / 2, range(1, 64), false),
                             array(c, c / 2, 1, second, true)};
  }
  return config;
}

std::unique_ptr<Model> make_model(const ModelConfig& config, const ParamCountCheck& check) {
  std::unique_ptr<Model> m;
  if (config.architecture == "WaveNet")
    m = std::make_unique<WaveNet>(config);
  else if (config.architecture == "LSTM")
    m = std::make_unique<Lstm>(config);
  else if (config.architecture == "ConvNet")
    m = std::make_unique<ConvNet>(config);
  else if (config.architecture == "Linear")
    m = std::make_unique<Linear>(config);
  else
    throw InputError(describe_error("model config", "architecture", "one of WaveNet, LSTM, ConvNet, Linear",
                                    "'" + config.architecture + "'"));
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
