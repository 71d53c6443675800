// See tone_stack_wavenet.h.
#include "nn/tone_stack_wavenet.h"

#include <algorithm>

#include "base/error.h"
#include "core/ops.h"

namespace namk {

namespace {
// Checked before anything is registered.
const ModelConfig& checked(const ModelConfig& c) {
  if (!c.knobs.empty() && c.conditioning != Conditioning::Film)
    throw InputError(describe_error("model config", "conditioning.method",
                                    "\"film\" (ToneStackWaveNet's FiLM network sets its tone stack)", "\"concat\""));
  const auto& sections = c.tone_stack_wavenet.tone_stack.sections;
  if (sections.empty())
    throw InputError(describe_error("model config", "config.tone_stack.sections", "at least one section", "none"));
  for (size_t s = 0; s < sections.size(); ++s)
    if (!(sections[s].max_hz < c.sample_rate / 2))
      throw InputError(describe_error("model config", "config.tone_stack.sections[" + std::to_string(s) + "].max_hz",
                                      "a frequency below half the sample rate (" + format_number(c.sample_rate / 2) +
                                          " Hz)",
                                      format_number(sections[s].max_hz)));
  return c;
}

// A part's knob set from its routing entry: empty when unset (every knob), or when the model has no
// knobs (a config names the knobs a dataset brings; without them the tone stack is a fixed EQ, and
// `train` sizes the receptive field from the config before it has read the dataset).
KnobSet knob_set(const std::optional<std::vector<std::string>>& names, const std::vector<KnobSpec>& knobs,
                 const std::string& field) {
  if (!names || knobs.empty()) return {};
  KnobSet set(knobs.size(), false);
  for (const std::string& name : *names) {
    const auto it = std::find_if(knobs.begin(), knobs.end(), [&](const KnobSpec& k) { return k.name == name; });
    if (it == knobs.end()) {
      std::string known;
      for (const KnobSpec& k : knobs) known += (known.empty() ? "" : ", ") + k.name;
      throw InputError(describe_error("model config", field, "names of the model's knobs (" + known + ")",
                                      "\"" + name + "\""));
    }
    set[static_cast<size_t>(it - knobs.begin())] = true;
  }
  return set;
}

// The knobs each control row of the tone stack hears (three rows per section: gain, frequency, Q),
// or none routed: every row every knob. A section hears its own list (or the one list); a setting
// that tone_stack_moves leaves out hears no knob, so its row is its bias: a learned constant.
std::vector<KnobSet> control_knobs(const ToneStackWaveNetConfig::KnobRouting& route, const ToneStackConfig& tone,
                                   const std::vector<KnobSpec>& knobs) {
  if ((!route.tone_stack && !route.tone_stack_moves) || knobs.empty()) return {};
  const std::string field = "config.knob_routing.tone_stack";
  const size_t sections = tone.sections.size();
  if (route.tone_stack && route.tone_stack->size() != 1 && route.tone_stack->size() != sections)
    throw InputError(describe_error("model config", field,
                                    "one list of knob names for every section, or one per section (" +
                                        std::to_string(sections) + ")",
                                    std::to_string(route.tone_stack->size()) + " lists"));
  static constexpr const char* kSettings[3] = {"gain", "frequency", "q"};  // a section's three rows, in order
  bool moves[3] = {true, true, true};
  if (route.tone_stack_moves) {
    std::fill(std::begin(moves), std::end(moves), false);
    for (size_t i = 0; i < route.tone_stack_moves->size(); ++i) {
      const std::string& name = (*route.tone_stack_moves)[i];
      const auto it = std::find(std::begin(kSettings), std::end(kSettings), name);
      if (it == std::end(kSettings))
        throw InputError(describe_error("model config",
                                        "config.knob_routing.tone_stack_moves[" + std::to_string(i) + "]",
                                        R"("gain", "frequency" or "q")", "\"" + name + "\""));
      moves[it - std::begin(kSettings)] = true;
    }
  }
  std::vector<KnobSet> rows;
  const KnobSet none(knobs.size(), false);
  for (size_t s = 0; s < sections; ++s) {
    KnobSet heard(knobs.size(), true);
    if (route.tone_stack) {
      const bool each = route.tone_stack->size() > 1;
      heard = knob_set((*route.tone_stack)[each ? s : 0], knobs, each ? field + "[" + std::to_string(s) + "]" : field);
    }
    for (const bool moved : moves) rows.push_back(moved ? heard : none);
  }
  return rows;
}
}  // namespace

ToneStackWaveNet::ToneStackWaveNet(const ModelConfig& config)
    : Model(checked(config)) {
  // The sections are designed at the model's rate; the tone stack's config does not carry one of its own.
  config_.tone_stack_wavenet.tone_stack.sample_rate = config_.sample_rate;
  const ToneStackWaveNetConfig& c = config_.tone_stack_wavenet;
  for (const auto& [stage, field] : {std::pair{&c.pre, "config.pre"}, std::pair{&c.post, "config.post"}})
    if (!stage->takes_knobs())
      throw InputError(describe_error("model config", field,
                                      "a stage without NAM 0.6 layer options or condition_dsp (they take no knobs)",
                                      "a stage with them"));
  const ToneStackWaveNetConfig::KnobRouting& route = c.knob_routing;
  const KnobSet pre_knobs = knob_set(route.pre, config_.knobs, "config.knob_routing.pre"),
                post_knobs = knob_set(route.post, config_.knobs, "config.knob_routing.post");
  RowRouting routing;
  routing.controls = control_knobs(route, tone(), config_.knobs);
  std::vector<Index> film_sites;  // both stages', in parameter order
  pre_ = WaveNetStage(layout_, "pre.", "config.pre", c.pre, 0, config_.film.head, film_sites);
  routing.sites.assign(film_sites.size(), pre_knobs);
  // Without knobs in the second stage its sites are counted apart and never built: post_knobs_
  // stays empty, and an empty conditioner's sites are inactive.
  knobs_in_post_ = c.knobs_in_post;
  std::vector<Index> unmodulated;
  post_ = WaveNetStage(layout_, "post.", "config.post", c.post, 0, config_.film.head,
                       knobs_in_post_ ? film_sites : unmodulated);
  routing.sites.resize(film_sites.size(), post_knobs);
  if (has_knobs()) {
    finish_layout(film_sites, tone().controls(), routing);
  } else {
    fixed_controls_ = layout_.add(kFixedControls, {tone().controls()}, 0);  // zero: flat
    finish_layout(film_sites);
  }
}

Index ToneStackWaveNet::receptive_field() const { return pre_.reach() + post_.reach() + 1; }

double ToneStackWaveNet::flops_per_sample() const {
  // A direct-form-I section: 5 multiplies and 4 adds a sample.
  return pre_.flops() + 9.0 * static_cast<double>(tone().sections.size()) + post_.flops();
}

Var ToneStackWaveNet::forward(Tape& t, Var x, std::span<const double> knob_values, Scalar* grad) const {
  check_input(t, x);
  const Var cond = conditioning(t, knob_values, grad);
  const ParamBuffers p = param_buffers(grad);
  const Var preamp = pre_.forward(t, p, x, conditioner(), cond);
  const Var controls = has_knobs() ? slice_channels(t, cond, conditioner().controls_offset(), tone().controls())
                                   : p.vector(t, fixed_controls_, tone().controls());
  const Var toned = tone_stack(t, preamp, controls, tone());
  return post_.forward(t, p, toned, post_knobs(), cond);
}

std::unique_ptr<Model> ToneStackWaveNet::baked(std::span<const double>) const {
  throw UsageError(
      "ToneStackWaveNet cannot be baked into a NAM file: its tone stack is a recursive (IIR) filter, which no "
      "NAM architecture can express (the 0.7 format's longest FIR, a layer array's head conv, is 16 taps). "
      "Play the knob model itself: render, the C API and the LV2 plugin run it");
}

void ToneStackWaveNet::adopt_plain_extras(const Model& plain, const std::string& plain_name) {
  if (!has_knobs()) return;  // a plain target: init_from_model copied the EQ by name
  // The stages' tensors matched by name and shape; the tone stack has no tensor of the same name in a
  // knob model, so its sections are compared here: the same controls must mean the same filters.
  const ToneStackConfig& theirs = plain.config().tone_stack_wavenet.tone_stack;
  const auto same_section = [](const ToneStackSection& a, const ToneStackSection& b) {
    return a.kind == b.kind && a.min_hz == b.min_hz && a.max_hz == b.max_hz;
  };
  if (!std::equal(theirs.sections.begin(), theirs.sections.end(), tone().sections.begin(), tone().sections.end(),
                  same_section) ||
      theirs.max_gain_db != tone().max_gain_db || theirs.min_q != tone().min_q || theirs.max_q != tone().max_q)
    throw input_error(plain_name, "config.tone_stack", "the tone stack of the model trained (its sections and ranges)",
                      "another tone stack");
  const Index bias = layout_.view("film.b2").offset + conditioner().controls_offset();
  // `plain` is a ToneStackWaveNet without knobs (init_from_model checked both), so it has the tensor.
  const Index fixed = plain.param_layout().view(kFixedControls).offset;
  std::copy_n(plain.params().data() + fixed, tone().controls(), params_.data() + bias);
}

std::vector<ToneSectionSetting> ToneStackWaveNet::tone_settings(std::span<const double> knob_values) const {
  const Vec cond = conditioning_values(knob_values);  // checks the count; empty without knobs
  const Scalar* controls = has_knobs() ? cond.data() + conditioner().controls_offset() : params_.data() + fixed_controls_;
  std::vector<ToneSectionSetting> settings;
  for (size_t s = 0; s < tone().sections.size(); ++s) settings.push_back(tone_section_setting(tone(), s, controls));
  return settings;
}

void ToneStackWaveNet::prepare_stream(int max_block) {
  pre_.prepare(params_.data(), conditioner(), max_block, pre_state_);
  post_.prepare(params_.data(), post_knobs(), max_block, post_state_);
  tone_state_.prepare(tone());
  between_.assign(static_cast<size_t>(max_block), Scalar(0));
}

void ToneStackWaveNet::reset_stream() noexcept {
  pre_.reset(pre_state_);
  tone_state_.reset();
  post_.reset(post_state_);
}

void ToneStackWaveNet::process_block(const Scalar* in, Scalar* out, int n) noexcept {
  const Vec& cond = conditioning_now();
  pre_.process(pre_state_, conditioner(), cond, in, between_.data(), n);
  const Scalar* controls =
      has_knobs() ? cond.data() + conditioner().controls_offset() : params_.data() + fixed_controls_;
  tone_state_.process(tone(), controls, between_.data(), between_.data(), n);
  post_.process(post_state_, post_knobs(), cond, between_.data(), out, n);
}

}  // namespace namk
