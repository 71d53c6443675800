// nam-knobs render: runs a WAV file through a model's real-time path (process(), block by block,
// exactly as a plugin would) at given knob settings or automation, and writes the result. With
// --reference it also prints the ESR against a recording of the real amp at the same settings.
// A file at another rate than the model's is resampled around the model as the C API and the LV2
// plugin do (nn/resampled_stream.h), and the converters' latency is removed from the result.
// Needs only the inference library and audio files (audio/), not the training libraries.
#include <algorithm>
#include <cstdio>

#include "apps/args.h"
#include "apps/commands.h"
#include "apps/common_options.h"
#include "apps/knob_automation.h"
#include "base/error.h"
#include "nn/model_file.h"
#ifdef NAMK_HAVE_RESAMPLE
#include "nn/resampled_stream.h"
#endif

#include "audio/audio_file.h"
#include "core/esr.h"

namespace namk::app {

int cmd_render(const Words& argv) {
  const std::vector<OptionSpec> specs = {
      kModelFileOption,
      {"input", true, "input WAV (mono; resampled to the model's rate when it differs)"},
      {"output", true, "output WAV (float32)"},
      {"knob", true, "NAME=VALUE in the knob's units, or NAME=V1@T1,V2@T2 (times: 5s, 250ms, samples); repeatable"},
      {"block", true, "block size passed to process() (default 64)"},
      {"reference", true, "a recording to compare with: prints the ESR"},
      {"no-prewarm", false, "start from zero history instead of NAM's pre-warm with silence"},
      {"resample", false, "resample an input at another rate than the model's around the model (the default)"},
      {"no-resample", false, "refuse an input at another rate than the model's instead of resampling"},
      {"slim", true, "0..1: the size of a slimmable model (SlimmableContainer or slimmable WaveNet; default: full)"},
  };
  const Args args("render", argv, specs);
  if (args.has("resample") && args.has("no-resample"))
    throw UsageError("nam-knobs render: --resample and --no-resample contradict each other; give one");
  const long long block = args.get_int("block", 64, 1, 1 << 20);
  const std::optional<double> slim =
      args.has("slim") ? std::optional<double>(args.get_double("slim", 1, 0, 1)) : std::nullopt;
  LoadedModel loaded = load_model(args.require("model"), slim);
  if (slim && loaded.slim_max_values.empty())
    throw input_error(args.require("model"), "architecture", "a slimmable model (--slim picks its size)",
                      "a model of one size");
  Model& model = *loaded.model;
  const WarningSink warn = warn_on_stderr;
  const Audio input = read_audio(args.require("input"), warn);
  if (input.samples.empty())
    throw input_error(args.require("input"), "", "audio with at least one sample", "an empty file (0 frames)");
  const bool resample = input.sample_rate != model.sample_rate();
#ifdef NAMK_HAVE_RESAMPLE
  const bool can_resample = true;
#else
  const bool can_resample = false;
#endif
  if (resample && (args.has("no-resample") || !can_resample))
    throw input_error(args.require("input"), "sample rate",
                      std::to_string(static_cast<int>(model.sample_rate())) + " Hz (the model's" +
                          (can_resample ? "; drop --no-resample to resample)" : "; this build cannot resample)"),
                      std::to_string(input.sample_rate) + " Hz");
  const std::vector<KnobEvent> events = parse_knob_arguments(args.all("knob"), model, input.sample_rate);

  // Knob values at time 0 are set before reset(), so the render starts there without a ramp.
  size_t next = 0;
  for (; next < events.size() && events[next].sample == 0; ++next)
    model.set_knob(events[next].knob, events[next].value);
#ifdef NAMK_HAVE_RESAMPLE
  model.prepare(resample ? std::max(static_cast<int>(block),
                                    ResampledStream::model_block(model.sample_rate(), input.sample_rate, static_cast<int>(block)))
                         : static_cast<int>(block));
#else
  model.prepare(static_cast<int>(block));
#endif
  model.reset();
  if (!args.has("no-prewarm")) model.prewarm();

  const long long n = static_cast<long long>(input.samples.size());
  // Feeds `total` samples through `process` in blocks of at most --block, cut at each knob event
  // so a change lands on its exact sample: the same walk for the model and the resampled stream.
  auto run_blocks = [&](auto* in, auto* out, long long total, auto process) {
    for (long long pos = 0; pos < total;) {
      while (next < events.size() && events[next].sample <= pos) {
        model.set_knob(events[next].knob, events[next].value);
        ++next;
      }
      long long len = std::min<long long>(block, total - pos);
      if (next < events.size()) len = std::min(len, events[next].sample - pos);
      process(in + pos, out + pos, static_cast<int>(len));
      pos += len;
    }
  };
  std::vector<float> result;
  if (!resample) {
    std::vector<Scalar> in(input.samples.begin(), input.samples.end()), out(input.samples.size());
    run_blocks(in.data(), out.data(), n,
               [&](const Scalar* x, Scalar* y, int len) { model.process(x, y, len); });
    result.assign(out.begin(), out.end());
  } else {
#ifdef NAMK_HAVE_RESAMPLE
    // The stream runs `latency` samples late: feed that much silence after the file and drop as
    // much from the front, so the result lines up with the input.
    ResampledStream stream(model, input.sample_rate, static_cast<int>(block));
    const long long latency = stream.latency();
    std::vector<float> in(input.samples), out(static_cast<size_t>(n + latency));
    in.resize(out.size(), 0.0f);
    run_blocks(in.data(), out.data(), n + latency,
               [&](const float* x, float* y, int len) { stream.process(x, y, len); });
    result.assign(out.begin() + latency, out.end());
    std::printf("render: resampled %d Hz -> %g Hz (the model's) and back; latency of %lld samples removed\n",
                input.sample_rate, model.sample_rate(), latency);
#endif
  }
  if (model.nonfinite_inputs() > 0)
    warn(args.require("input") + ": " + std::to_string(model.nonfinite_inputs()) +
         " non-finite samples (NaN or infinite) were rendered as silence");
  if (model.nonfinite_resets() > 0)
    warn("the model's output went non-finite " + std::to_string(model.nonfinite_resets()) +
         " times; each time the block was silenced and the model's state cleared");
  write_wav(args.require("output"), result, input.sample_rate);
  std::printf("render: wrote %s (%.2f s, block %lld)\n", args.require("output").c_str(),
              static_cast<double>(n) / input.sample_rate, block);

  if (auto reference_path = args.get("reference")) {
    const Audio reference = read_audio(*reference_path, warn);
    if (reference.samples.size() != result.size())
      throw input_error(*reference_path, "length", std::to_string(result.size()) + " samples (the input's)",
                        std::to_string(reference.samples.size()) + " samples");
    const Index len = static_cast<Index>(result.size());
    const double value = esr(Eigen::Map<const Eigen::RowVectorXf>(result.data(), len).cast<Scalar>(),
                             Eigen::Map<const Eigen::RowVectorXf>(reference.samples.data(), len).cast<Scalar>());
    std::printf("render: ESR against %s: %.4f\n", reference_path->c_str(), value);
  }
  return 0;
}

}  // namespace namk::app
