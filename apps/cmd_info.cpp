// nam-knobs info: what a model file holds — architecture, knobs, parameters, receptive field,
// sample rate, arithmetic per sample and the metadata — for NAM's files and ours alike; for a
// preset or a model config (what train and bench take), the same for the untrained model.
// --layout lists the parameter tensors in file order; --tone-stack a ToneStackWaveNet's filters at
// the knobs' defaults and as each knob turns, read from its weights.
#include <algorithm>
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/model_spec.h"
#include "base/error.h"
#include "nn/architecture.h"
#include "nn/model_file.h"
#include "nn/tone_stack_wavenet.h"

namespace namk::app {

namespace {
std::string or_unknown(const std::string& s) { return s.empty() ? "(unknown)" : s; }
std::string or_unknown(const std::optional<double>& x) {
  if (!x) return "(unknown)";
  return format_number(*x);
}

// "low shelf  -2.4 dB   122 Hz  Q 0.69" for each section, side by side.
std::string describe_sections(const std::vector<ToneSectionSetting>& sections) {
  std::string line;
  for (const ToneSectionSetting& s : sections) {
    const char* kind = s.kind == BiquadKind::LowShelf ? "low shelf" : s.kind == BiquadKind::HighShelf ? "high shelf" : "peak";
    char text[96];
    std::snprintf(text, sizeof text, "  %-10s %+6.1f dB %6.0f Hz  Q %.2f", kind, s.gain_db, s.frequency, s.q);
    line += text;
  }
  return line;
}

// What the tone stack plays: at the knobs' defaults, then each knob at five points of its range
// with the others at their defaults. A model that learned the amp's structure shows it here (the
// sections' frequencies where the amp's filters are, each knob moving its own section).
void print_tone_stack(const Model& m, const std::string& spec) {
  const auto* tone = dynamic_cast<const ToneStackWaveNet*>(&m);
  if (!tone)
    throw UsageError("info --tone-stack: " + spec + " has no tone stack (architecture " + m.config().architecture +
                     "; ToneStackWaveNet has one)");
  std::vector<double> knobs;
  for (const KnobSpec& k : m.knobs()) knobs.push_back(k.default_value);
  const std::vector<ToneSectionSetting> defaults = tone->tone_settings(knobs);
  const std::string at_defaults = describe_sections(defaults);
  if (knobs.empty()) {
    std::printf("tone stack    %zu sections, a fixed EQ (no knobs)\n%s\n", defaults.size(), at_defaults.c_str());
    return;
  }
  std::printf("tone stack    %zu sections; at the knobs' defaults, then as each knob turns (the others at their defaults)\n",
              defaults.size());
  std::printf("  %-16s%s\n", "defaults", at_defaults.c_str());
  for (size_t i = 0; i < knobs.size(); ++i) {
    const KnobSpec& k = m.knobs()[i];
    std::vector<std::pair<std::string, std::string>> rows;  // (label, sections) at five points of the range
    for (int step = 0; step <= 4; ++step) {
      std::vector<double> at = knobs;
      at[i] = k.min + (k.max - k.min) * step / 4.0;
      rows.emplace_back(k.name + " " + format_number(at[i]), describe_sections(tone->tone_settings(at)));
    }
    // A knob routed elsewhere (an amp's gain) moves no section: one line says so.
    if (std::all_of(rows.begin(), rows.end(), [&](const auto& row) { return row.second == at_defaults; })) {
      std::printf("  %-16s  (moves no section)\n", k.name.c_str());
      continue;
    }
    for (const auto& [label, sections] : rows) std::printf("  %-16s%s\n", label.c_str(), sections.c_str());
  }
}
}  // namespace

int cmd_info(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      {"model", true, "model file (.nam, ours or NAM's), or a preset or model config as train takes"},
      {"layout", false, "list the parameter tensors (name, offset, shape in NAM's weight order)"},
      {"tone-stack", false,
       "a ToneStackWaveNet's filters (gain, frequency, Q per section) at the knobs' defaults and as each knob turns"}};
  const Args args("info", argv, specs);
  const std::string spec = args.require("model");
  LoadedModel loaded;
  const bool nam_file = spec.size() > 4 && spec.compare(spec.size() - 4, 4, ".nam") == 0;
  if (nam_file) {
    loaded = load_model(spec);
  } else {
    loaded.model = make_model(resolve_model_spec(spec).config);
    loaded.version = "none: a model config, untrained";
  }
  const Model& m = *loaded.model;
  const ModelConfig& c = m.config();
  std::printf("file          %s (format version %s)\n", spec.c_str(), loaded.version.c_str());
  const Architecture* arch = find_architecture(c.architecture);
  std::printf("architecture  %s (%s)", c.architecture.c_str(), arch ? arch->describe(c).c_str() : "?");
  std::printf("\nparameters    %lld (%lld architecture + %lld knob conditioning)\n",
              static_cast<long long>(m.num_params()), static_cast<long long>(m.architecture_params()),
              static_cast<long long>(m.num_params() - m.architecture_params()));
  std::printf("receptive     %lld samples (%.1f ms)\n", static_cast<long long>(m.receptive_field()),
              1000.0 * static_cast<double>(m.receptive_field()) / c.sample_rate);
  std::printf("sample rate   %g Hz\n", c.sample_rate);
  if (!loaded.slim_max_values.empty()) {
    // Each size is loaded to describe it; the one above is the default (the last, full size).
    const std::vector<double>& max = loaded.slim_max_values;
    std::printf("sizes         %zu (render --slim picks one)\n", max.size());
    for (size_t i = 0; i < max.size(); ++i) {
      const double from = i == 0 ? 0.0 : max[i - 1];
      const std::string range = i == 0 ? "slim < " + format_number(max[i])
                                : i + 1 == max.size()
                                    ? "slim >= " + format_number(from)
                                    : format_number(from) + " <= slim < " + format_number(max[i]);
      const LoadedModel size = load_model(spec, from);
      const ModelConfig& sc = size.model->config();
      const Architecture* sa = find_architecture(sc.architecture);
      std::printf("  %-20s %s (%s), %lld parameters%s\n", range.c_str(), sc.architecture.c_str(),
                  sa ? sa->describe(sc).c_str() : "?", static_cast<long long>(size.model->num_params()),
                  i == loaded.slim_choice ? " (default)" : "");
    }
  }
  std::printf("FLOPs/sample  %.0f (streaming, knobs still)\n", m.flops_per_sample());
  if (m.knobs().empty()) {
    std::printf("knobs         none%s\n", arch && arch->nam ? " (a plain NAM model)" : "");
  } else {
    std::printf("knobs         %zu, conditioning %s, smoothing %g ms\n", m.knobs().size(),
                c.conditioning == Conditioning::Film ? "film" : "concat", c.smoothing_ms);
    for (const KnobSpec& k : m.knobs())
      std::printf("  %-12s %g .. %g, default %g %s\n", k.name.c_str(), k.min, k.max, k.default_value,
                  k.units.c_str());
  }
  const ModelMetadata& md = loaded.metadata;
  std::printf("name          %s\n", or_unknown(md.name).c_str());
  std::printf("modeled by    %s\n", or_unknown(md.modeled_by).c_str());
  std::printf("gear          %s %s %s (%s)\n", or_unknown(md.gear_type).c_str(), md.gear_make.c_str(),
              md.gear_model.c_str(), or_unknown(md.tone_type).c_str());
  std::printf("levels        input %s dBu, output %s dBu\n", or_unknown(md.input_level_dbu).c_str(),
              or_unknown(md.output_level_dbu).c_str());
  std::printf("loudness      %s dB (NAM's standard input at nominal settings)\n", or_unknown(md.loudness).c_str());
  std::printf("gain          %s (0 clean .. 1 fully compressed)\n", or_unknown(md.gain).c_str());
  std::printf("date          %s\n", or_unknown(metadata_date(md)).c_str());
  std::printf("validation    ESR %s\n", or_unknown(md.validation_esr).c_str());
  // What the file holds beyond these, as written there (the trainer's checks, latency calibration).
  for (const auto& [key, text] : metadata_extras(md)) std::printf("metadata      %s: %s\n", key.c_str(), text.c_str());
  if (args.has("tone-stack")) print_tone_stack(m, spec);
  if (args.has("layout")) {
    std::printf("layout        %zu tensors\n", m.param_layout().views().size());
    for (const ParamView& v : m.param_layout().views()) {
      std::string shape;
      for (Index d : v.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      std::printf("  %-40s %8lld  (%s)\n", v.name.c_str(), static_cast<long long>(v.offset), shape.c_str());
    }
  }
  return 0;
}

}  // namespace namk::app
