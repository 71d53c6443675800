// The model interface the trainer and the runtime share, the model configuration, and the factory.
// Every model owns one flat parameter buffer in NAM's export order (architecture parameters exactly
// as a .nam "weights" list, minus WaveNet's head_scale which NAM stores there but does not train),
// followed by the knob conditioner's parameters. Two entry points over those weights:
//   forward(Tape&, ...)  const, thread-safe: builds the training graph of one batch item;
//   prepare()/process()  streaming with internal history; process() allocates, locks and throws nothing.
// Knob values are given in the knob's own units and normalised to [0, 1] inside the model.
//
// Parameter layout, registered tensor by tensor in layout_ by each constructor (param_layout()).
// All matrices PyTorch-style row-major: dense (out, in), conv (out, in, K) with the tap fastest,
// tap k multiplying x[t - (K-1-k)*dilation]:
//   [architecture: NAM's .nam "weights" order, see wavenet.h, lstm.h, convnet.h]
//   [FiLM conditioner, only with knobs and conditioning film:
//      w1 (hidden, n_knobs), b1 (hidden), w2 (F, hidden), b2 (F)]
// F lists, per FiLM site in order, gamma (c) then beta (c, unless shift is false). Sites: WaveNet:
// every layer's z (c = channels, 2x when gated) in array order, each array's head output after
// its layers when film.head; LSTM: each layer's output (hidden); ConvNet: each block (channels);
// Linear: the output (1); ToneStackWaveNet: both stages' as WaveNet's, then the tone stack's
// controls (not FiLM: read by the tone stack itself). Concat adds no conditioner: its knobs are extra input-mixer columns
// (WaveNet: mixer (Cz, 1 + n_knobs)) or extra input channels of the first layer (others).
#pragma once

#include <cstdint>
#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernels/pointwise.h"
#include "base/knob_spec.h"
#include "core/tape.h"
#include "nn/film_config.h"
#include "nn/layers/knob_conditioner.h"
#include "nn/layers/tone_stack.h"
#include "nn/param_layout.h"

namespace namk {

// NAM's activations with their parameters, as the general residual layer evaluates them (the fused
// layer's Activation enum holds only the parameterless ones). Parameters are float32, as NAM reads them.
struct LayerActivation {
  enum class Kind { Tanh, Hardtanh, ReLU, LeakyReLU, PReLU, Sigmoid, SiLU, Hardswish, LeakyHardtanh, Softsign };
  Kind kind = Kind::Tanh;
  std::vector<Scalar> slopes{Scalar(0.01)};  // LeakyReLU: one; PReLU: one, or one per channel
  Scalar min_val = -1, max_val = 1, min_slope = Scalar(0.01), max_slope = Scalar(0.01);  // LeakyHardtanh
  bool operator==(const LayerActivation&) const = default;
};

enum class Gating { None, Gated, Blended };

// One of the eight FiLM sites of a 0.6/0.7 residual layer: a 1x1 (with bias, in groups) of the
// condition gives a scale (and, with shift, a shift) per channel and sample.
struct LayerFilm {
  bool active = false, shift = true;
  Index groups = 1;
  bool operator==(const LayerFilm&) const = default;
};
enum LayerFilmSite : size_t {
  kConvPreFilm, kConvPostFilm, kMixinPreFilm, kMixinPostFilm, kActivationPreFilm, kActivationPostFilm,
  kLayer1x1PostFilm, kHead1x1PostFilm, kLayerFilmSites
};
// Their config keys, which also name their parameters.
inline constexpr const char* kLayerFilmKeys[kLayerFilmSites] = {
    "conv_pre_film",       "conv_post_film",       "input_mixin_pre_film", "input_mixin_post_film",
    "activation_pre_film", "activation_post_film", "layer1x1_post_film",   "head1x1_post_film"};

// The 0.6/0.7 layer options beyond A2's, which the general residual layer runs
// (nn/layers/general_residual_layer.h). Set (general) only when the array needs one of them.
struct LayerArrayOptions {
  Index bottleneck = 1;
  Index groups_input = 1, groups_input_mixin = 1;
  bool layer1x1 = true, head1x1 = false;
  Index layer1x1_groups = 1, head1x1_out_channels = 1, head1x1_groups = 1;
  std::array<LayerFilm, kLayerFilmSites> films{};
  // Per layer (one entry per dilation): the activation, the gating and the gate's activation.
  std::vector<LayerActivation> activations, secondaries;
  std::vector<Gating> gating;
  // Rows of each layer's pre-activation z: twice the bottleneck when a second half gates or blends.
  Index z_rows(size_t layer) const { return gating[layer] == Gating::None ? bottleneck : 2 * bottleneck; }
  // What each layer adds into the array's head sum.
  Index head_input() const { return head1x1 ? head1x1_out_channels : bottleneck; }
};

// Rows FiLM site `site` modulates in layer `layer` (docs/model_format.md): the conv's input (C),
// the mixer's input (condition_size), the activation's output (bottleneck), the layer1x1's (C), the
// head1x1's, or z.
inline Index film_rows(const LayerArrayOptions& o, Index channels, Index condition_size, size_t site, size_t layer) {
  switch (site) {
    case kConvPreFilm: return channels;
    case kMixinPreFilm: return condition_size;
    case kActivationPostFilm: return o.bottleneck;
    case kLayer1x1PostFilm: return channels;
    case kHead1x1PostFilm: return o.head1x1_out_channels;
    default: return o.z_rows(layer);
  }
}

// One WaveNet layer array, with NAM's config keys. The per-layer lists and the head kernel are
// NAM 0.7's (A2); empty lists mean "the single value for every layer", as in 0.5 files.
struct LayerArrayConfig {
  Index input_size = 1;
  Index condition_size = 1;  // the audio; concat conditioning adds the knobs on top of this
  Index channels = 16;
  Index head_size = 8;
  Index kernel_size = 3;
  std::vector<Index> dilations;
  Activation activation = Activation::Tanh;
  bool gated = false;
  bool head_bias = false;
  std::vector<Index> kernel_sizes;         // 0.7 "kernel_sizes": one per dilation, or empty
  std::vector<Activation> activations;     // one per dilation, or empty
  std::vector<bool> gated_layers;          // 0.6 "gating_mode" per layer, or empty
  Index head_kernel_size = 1;              // 0.7 "head": {"kernel_size"}
  // 0.7 "slimmable": the channel counts the array may be cut to (ascending, the last = channels);
  // empty: not slimmable. The model itself always runs at full size (nn/slimmable.h cuts it).
  std::vector<Index> slim_channels;
  // NAM 0.6/0.7 options the fused layer does not run (bottleneck, groups, layer1x1/head1x1 blocks,
  // blended gating, parameterised activations, FiLM sites): the array then runs general layers.
  std::optional<LayerArrayOptions> general;

  Index layer_kernel_size(size_t i) const { return kernel_sizes.empty() ? kernel_size : kernel_sizes[i]; }
  Activation layer_activation(size_t i) const { return activations.empty() ? activation : activations[i]; }
  bool layer_gated(size_t i) const { return gated_layers.empty() ? gated : gated_layers[i]; }
  // Whether NAM's 0.5 keys can express this array (else the file needs 0.7's).
  bool fits_nam_05() const {
    return kernel_sizes.empty() && activations.empty() && gated_layers.empty() && head_kernel_size == 1 &&
           slim_channels.empty() && !general;
  }
  // Rows the array's head conv reads: its layers' head sum.
  Index head_input() const { return general ? general->head_input() : channels; }
};

struct WaveNetConfig;
// NAM 0.6's "condition_dsp": a WaveNet whose output, not the audio, is every layer array's condition.
// It keeps its own weights (the nested model's "weights", head_scale last, as in every .nam file).
struct ConditionDsp {
  std::shared_ptr<const WaveNetConfig> config;
  std::vector<Scalar> weights;  // without head_scale
  std::string version;
  double sample_rate = 48000;
};

struct WaveNetConfig {
  std::vector<LayerArrayConfig> layers;
  double head_scale = 0.02;
  std::optional<ConditionDsp> condition_dsp;
  // NAM's "in_channels": the audio, then constant channels. Above 1 the model's knobs feed them at
  // their raw values (a file export --knobs-as-inputs writes, nn/knob_inputs.h), for inference only.
  Index in_channels = 1;
  // An array runs NAM 0.6 layer options (general residual layers, which take no knobs).
  bool layer_options() const {
    return std::any_of(layers.begin(), layers.end(), [](const LayerArrayConfig& a) { return a.general.has_value(); });
  }
  // A condition_dsp (its weights are fixed) or knob input channels: the model runs, but cannot train.
  bool inference_only() const { return condition_dsp.has_value() || in_channels > 1; }
  // Knob conditioning needs neither.
  bool takes_knobs() const { return !layer_options() && !inference_only(); }
};

// NAM's LSTM: stacked layers, learned initial state, linear head to one output.
struct LstmConfig {
  Index input_size = 1;
  Index hidden_size = 16;
  Index num_layers = 1;
};

// NAM's ConvNet: blocks of (dilated conv kernel 2 -> optional batchnorm -> activation), 1x1 head.
struct ConvNetConfig {
  Index channels = 8;
  std::vector<Index> dilations;
  bool batchnorm = false;
  Activation activation = Activation::Tanh;
};

// One FIR filter of length receptive_field.
struct LinearConfig {
  Index receptive_field = 128;
  bool bias = false;
};

// A knob model only (nn/tone_stack_wavenet.h): a WaveNet stage, a tone stack set by the knobs, a
// second WaveNet stage, as a preamp, a tone stack and a power amp.
struct ToneStackWaveNetConfig {
  WaveNetConfig pre, post;
  ToneStackConfig tone_stack;  // its sample_rate is the model's
  // The knobs modulate the second stage too (FiLM). False: only the first stage and the tone
  // stack hear them, as in an amp whose power amp has no knobs.
  bool knobs_in_post = true;
  // Which knobs each part hears, by name (unset: every knob): an amp's gain sits in its preamp,
  // its tone controls in the tone stack, and a knob that cannot reach a part cannot bend it at
  // settings nobody recorded. Needs separable FiLM, whose hidden units each read one knob.
  struct KnobRouting {
    std::optional<std::vector<std::string>> pre, post;
    // The tone stack's knobs: one list that every section hears, or one list per section (an amp
    // whose bass knob sets only its bass section).
    std::optional<std::vector<std::vector<std::string>>> tone_stack;
    // Which of each section's settings the knobs move: any of "gain", "frequency", "q" (unset:
    // all three). The others are learned constants, the same at every setting, as in an amp whose
    // knob only turns a section up or down: frequency and gain can then not trade for each other.
    std::optional<std::vector<std::string>> tone_stack_moves;
    bool any() const { return pre || tone_stack || post || tone_stack_moves; }
  } knob_routing;
};

enum class Conditioning { Film, Concat };

struct ModelConfig {
  std::string architecture = "WaveNet";  // a name in nn/architecture.h's list
  WaveNetConfig wavenet;
  LstmConfig lstm;
  ConvNetConfig convnet;
  LinearConfig linear;
  ToneStackWaveNetConfig tone_stack_wavenet;
  std::vector<KnobSpec> knobs;  // none: exactly NAM's architecture
  Conditioning conditioning = Conditioning::Film;
  FilmConfig film;
  double sample_rate = 48000;
  double smoothing_ms = 20;  // knob ramp time at inference; 0 = off
};

// "standard", "lite", "feather", "nano" (NAM's A1 WaveNets), "a2-lite", "a2-full" (the two sizes
// of NAM's A2): presets without knobs.
ModelConfig preset_config(const std::string& name);
std::vector<std::string> preset_names();
// The preset names as one comma-separated list, for messages that say what was expected.
std::string preset_list();

class Model;
using ParamCountCheck = std::function<void(Index architecture_params, Index total_params)>;

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const ModelConfig& config() const { return config_; }
  const std::vector<KnobSpec>& knobs() const { return config_.knobs; }
  double sample_rate() const { return config_.sample_rate; }

  Index num_params() const { return params_.size(); }
  Vec& params() { return params_; }
  const Vec& params() const { return params_; }
  // Parameters [0, architecture_params()) are NAM's weights; the conditioner's follow.
  Index architecture_params() const { return arch_params_; }
  // The named tensors of params(), in order (see param_layout.h).
  const ParamLayout& param_layout() const { return layout_; }

  // Input samples needed per output sample (the graph maps nx + ny - 1 inputs to ny outputs,
  // nx = receptive_field()).
  virtual Index receptive_field() const = 0;
  // Arithmetic per output sample of streaming inference with constant knobs: a multiply-add is 2
  // FLOPs, bias/add/FiLM 1 per element and multiply, activations 1 per element. WaveNet folds FiLM
  // into its conv weights while knobs are still, so FiLM adds nothing there; LSTM and ConvNet
  // apply it per sample. docs/performance.md has the per-preset figures.
  virtual double flops_per_sample() const = 0;

  // PyTorch's default init (uniform +-1/sqrt(fan_in)) for the architecture, as NAM trains from,
  // drawn tensor by tensor in layout order; the FiLM output layer starts at zero with gamma bias 1,
  // so the untrained model with knobs equals the same model without them.
  void init_params(uint64_t seed);

  // x: (1, T), T >= receptive_field()  ->  (1, T - receptive_field() + 1).
  // knob_values: one per knob, in its own units. grad: num_params() scalars that backward
  // accumulates into, or nullptr for no parameter gradient. Reads only params(): safe to call from
  // several threads on their own tapes.
  virtual Var forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const = 0;

  // A model without knobs that computes what this one computes at these knob values (in the
  // knobs' units), so it can be written as a plain NAM file: FiLM's gamma and beta folded into the
  // modulated weights and biases, concat's constant knob channels folded into biases. A model
  // without knobs returns a copy. Throws UsageError when the architecture or options do not allow
  // it (the message says which).
  virtual std::unique_ptr<Model> baked(std::span<const double> knob_values) const;

  // train --init from a plain model of the same architecture (nn/init_from_model.h), after its
  // architecture tensors are copied: whatever else the plain model holds that a knob model keeps
  // in its conditioner (a tone stack's fixed EQ). Throws InputError naming plain_name when those
  // parts differ. Nothing, by default.
  virtual void adopt_plain_extras(const Model& /*plain*/, const std::string& /*plain_name*/) {}

  // Streaming. prepare() allocates the history and packs the weights (call it again after the
  // parameters change); process() handles any n, in blocks of at most max_block, flushes
  // denormals for its own duration, and until prepare() has run writes silence.
  void prepare(int max_block);
  void process(const Scalar* in, Scalar* out, int n) noexcept;
  // Clears the history (zeros) and jumps knobs to their targets.
  void reset();
  // Runs one receptive field of silence through the model and discards the output, as NAM's
  // runtime does at reset: the layers' histories then hold the model's response to silence (its
  // biases at work) instead of zeros, so the first samples agree with NAM's and carry no thump.
  // Allocates nothing; call after reset() (render and the C API do).
  void prewarm() noexcept;
  // Between blocks. Unknown names throw UsageError; values are clamped to the knob's range.
  void set_knob(std::string_view name, double value);
  void set_knob(Index index, double value) noexcept;
  double knob(Index index) const { return knob_values_[static_cast<size_t>(index)]; }
  // process() never outputs a non-finite sample. Input samples that are NaN or infinite are
  // replaced by silence; a block whose output is not finite anyway (a state that blew up) is
  // silenced and the history cleared. Both are counted since prepare(), for hosts to report.
  long long nonfinite_inputs() const { return nonfinite_inputs_; }
  long long nonfinite_resets() const { return nonfinite_resets_; }
  // Ramp time of knob changes; 0 applies them at the next block.
  void set_smoothing_ms(double ms) noexcept;
  bool prepared() const { return max_block_ > 0; }

 protected:
  explicit Model(ModelConfig config);

  // Called once by a derived constructor after it has added the architecture's tensors to layout_:
  // adds the conditioner's. film_sites: the channel count of every FiLM site in order; the
  // conditioner's output is, per site, gamma (c) then beta (c, when shift). Ignored without FiLM.
  // Only counts: make_model() allocates the buffer once the counts have passed its checks.
  // controls: rows after the sites' that the architecture reads itself (KnobConditioner::build).
  void finish_layout(const std::vector<Index>& film_sites, Index controls = 0, const RowRouting& routing = {});
  // FiLM site s (inactive without FiLM).
  FilmSite film_site(size_t s) const { return conditioner_.site(s); }
  bool has_knobs() const { return !config_.knobs.empty(); }
  bool uses_film() const { return has_knobs() && config_.conditioning == Conditioning::Film; }
  bool uses_concat() const { return has_knobs() && config_.conditioning == Conditioning::Concat; }
  ParamBuffers param_buffers(Scalar* grad) const { return {params_.data(), grad}; }
  const KnobConditioner& conditioner() const { return conditioner_; }

  // forward()'s input check: x must be (1, >= receptive_field()); the message names the architecture.
  void check_input(const Tape& t, Var x) const;
  // The first layer's input channels where knobs join the audio as channels: 1, plus the knobs with concat.
  Index input_channels() const;
  // forward()'s start where knobs join as input channels (LSTM, ConvNet, Linear): checks x, and gives
  // the conditioning column and x with concat's knob channels below the audio.
  struct ForwardInput {
    Var x, cond;
    ParamBuffers params;
  };
  ForwardInput forward_input(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const;
  // process_block()'s counterpart: in (n samples) and concat's current knob channels into x (input_channels(), n).
  void stream_input(const Scalar* in, MatRef x) const noexcept;

  // Training: the conditioning column for these knob values: FiLM outputs (F, 1), or the
  // normalised knobs (n_knobs, 1) for concat; Var{} without knobs.
  Var conditioning(Tape& t, std::span<const double> knob_values, Scalar* grad) const;
  // The conditioning column for these knob values, evaluated off the tape.
  Vec conditioning_values(std::span<const double> knob_values) const;
  // Streaming: the same column, current (ramped) value. Valid inside process_block().
  const Vec& conditioning_now() const { return cond_now_; }

  virtual void prepare_stream(int max_block) = 0;
  // n <= max_block; conditioning_now() is constant over the block.
  virtual void process_block(const Scalar* in, Scalar* out, int n) noexcept = 0;
  virtual void reset_stream() noexcept = 0;


  ModelConfig config_;
  ParamLayout layout_;
  Vec params_;

 private:
  friend std::unique_ptr<Model> make_model(const ModelConfig&, const ParamCountCheck&);
  void update_conditioning_target() noexcept;
  const Scalar* finite_input(const Scalar* in, int n) noexcept;
  void recover_output(Scalar* out, int n) noexcept;

  Index arch_params_ = 0;
  Index total_params_ = 0;  // set by finish_layout(), allocated by make_model()
  KnobConditioner conditioner_;
  std::vector<double> knob_values_;  // user units
  int max_block_ = 0;
  // Streaming conditioning: the value in use, the target, and a linear ramp between them.
  Vec cond_now_, cond_from_, cond_target_;
  Index ramp_samples_ = 0, ramp_length_ = 1, ramp_left_ = 0;
  KnobConditioner::State conditioner_state_;  // packed weights and scratch: evaluates without allocating
  std::vector<Scalar> silence_, discard_;  // prewarm()'s input and output, max_block long
  std::vector<Scalar> finite_in_;          // a block's input with non-finite samples silenced
  long long nonfinite_inputs_ = 0, nonfinite_resets_ = 0;
};

// Limits on what any model may ask for, checked before its memory is allocated, so a damaged or
// hostile config cannot make us allocate gigabytes: NAM's largest presets are a few thousand
// times smaller and look back a few thousand samples.
inline constexpr Index kMaxModelParams = Index(1) << 28;       // 1 GiB of float32
inline constexpr Index kMaxReceptiveField = Index(1) << 20;    // ~22 s at 48 kHz

// The constructors only count; this allocates. check (when given) sees the architecture's and the
// total parameter count before the allocation and may throw (the .nam reader compares them with
// the file's weight lists). Throws InputError past the limits above.
std::unique_ptr<Model> make_model(const ModelConfig& config, const ParamCountCheck& check);
std::unique_ptr<Model> make_model(const ModelConfig& config);
// A preset name or a model config JSON file (see configs/models/).
std::unique_ptr<Model> make_model(const std::string& preset_or_path);

}  // namespace namk
