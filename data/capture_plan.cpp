// See capture_plan.h. The session's files are all derived from the CapturePlan, so plan.csv,
// plan.txt, README.txt and dataset.json always agree; each is written atomically.
#include "data/capture_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/json.h"
#include "data/audio_checks.h"
#include "data/blips.h"
#include "data/reamp_signal.h"

namespace namk {

namespace fs = std::filesystem;

namespace {

constexpr int kRandomOrders = 200;
// Input and recording may differ by this much in length (the loader's default tolerance).
constexpr long kLengthTolerance = 64;
// A noise floor above this is worth a note (a hum or a hiss the model would learn as signal).
constexpr double kNoisyFloorDb = -50.0;

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

std::string printf_text(const char* format, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

std::string file_name(const std::vector<PlanKnob>& knobs, const Setting& s, bool anchor) {
  std::string name = anchor ? "anchor" : "";
  for (size_t k = 0; k < knobs.size(); ++k)
    name += (name.empty() ? "" : "_") + knobs[k].name + knobs[k].show(s[k]);
  return name + ".wav";
}

std::string minutes(double seconds) {
  const long s = std::lround(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string input_of(const Take& t) { return t.anchor ? "anchor_input.wav" : "input.wav"; }

std::string csv_text(const CapturePlan& plan) {
  const auto& knobs = plan.options.knobs;
  std::string out = "take,split,anchor,file";
  for (const auto& k : knobs) out += "," + k.name;
  out += "\n";
  for (size_t i = 0; i < plan.takes.size(); ++i) {
    const Take& t = plan.takes[i];
    out += std::to_string(i + 1) + "," + split_name(t.split) + "," + (t.anchor ? "1" : "0") + "," +
           t.file;
    for (double v : t.knobs) out += "," + num(v);
    out += "\n";
  }
  return out;
}

std::string dataset_json(const CapturePlan& plan) {
  const auto& knobs = plan.options.knobs;
  std::string out = "{\n  \"knobs\": [\n";
  for (size_t k = 0; k < knobs.size(); ++k)
    out += "    {\"name\": " + json_quote(knobs[k].name) + ", \"min\": " + num(knobs[k].min) +
           ", \"max\": " + num(knobs[k].max) + ", \"default\": " + num(knobs[k].default_value) +
           "}" + (k + 1 < knobs.size() ? ",\n" : "\n");
  out += "  ],\n  \"entries\": [\n";
  // Training sees only the music: blips and silence are trimmed in the input's time.
  const std::string trim = ", \"start\": \"" + num(kReampMusicBegin) + "s\", \"stop\": \"-" +
                           num(kReampMusicEndBeforeEnd) + "s\"";
  for (size_t i = 0; i < plan.takes.size(); ++i) {
    const Take& t = plan.takes[i];
    out += "    {\"input_file\": \"" + input_of(t) + "\", \"output_file\": " + json_quote(t.file) +
           ", \"knobs\": {";
    for (size_t k = 0; k < knobs.size(); ++k)
      out += (k ? ", " : "") + json_quote(knobs[k].name) + ": " + num(t.knobs[k]);
    out += std::string("}, \"split\": \"") + split_name(t.split) + "\"" + trim +
           (t.anchor ? ", \"anchor\": true" : "") + "}" +
           (i + 1 < plan.takes.size() ? ",\n" : "\n");
  }
  return out + "  ]\n}\n";
}

std::string readme_text(const CapturePlan& plan) {
  const PlanOptions& o = plan.options;
  std::string out =
      "Capture session made by nam-knobs plan (seed " + std::to_string(o.seed) +
      ")\n"
      "==============================================================\n\n"
      "Before the first take\n"
      "[ ] Signal path: interface output -> reamp box (or DI) -> amp input; amp output (load box\n"
      "    or microphone) -> interface input. Nothing else on the amp (no pedals, no effects).\n"
      "[ ] Interface at " +
      std::to_string(kPlanSampleRate) +
      " Hz. Record mono, 24-bit or 32-bit float WAV, no plug-ins\n"
      "    on the recording channel, the same buffer settings for the whole session.\n"
      "[ ] Input level: play input.wav into the amp; its loud phrases peak at -2 dBFS and should\n"
      "    drive the amp like a guitar played hard. Set the reamp level once and keep it.\n"
      "[ ] Recording level: set the knobs of the loudest-sounding take in the list (usually the\n"
      "    highest gain/volume), play input.wav, and set the interface gain so the recording\n"
      "    peaks around -6 dBFS (never 0 dBFS). Keep that gain for every take.\n"
      "[ ] Every take: start recording, play the whole input file from its first sample, stop\n"
      "    after it ends. The clicks at both ends are alignment blips: keep them in the file.\n"
      "    Trim the recording to the input's length (same start, same number of samples).\n\n"
      "Takes, in this order (the knobs start at their defaults: " +
      setting_label(o.knobs, plan.start) + ")\n";
  for (size_t i = 0; i < plan.takes.size(); ++i) {
    const Take& t = plan.takes[i];
    char head[64];
    std::snprintf(head, sizeof head, "[ ] %2zu  ", i + 1);
    out += head + setting_label(o.knobs, t.knobs) + "  ->  " + t.file + "  (play " + input_of(t) +
           (t.split == Split::test ? "; held out for testing" : "") + ")\n";
  }
  out +=
      "\nAfter the last take\n"
      "[ ] nam-knobs plan --check SESSION/    (names every missing or unusable take)\n"
      "[ ] nam-knobs train --data SESSION/dataset.json --model standard --out runs/NAME\n"
      "See plan.txt for the design and plan.csv for the same list in a table.\n";
  return out;
}

}  // namespace

std::string setting_label(const std::vector<PlanKnob>& knobs, const Setting& s) {
  std::string out;
  for (size_t k = 0; k < knobs.size(); ++k)
    out += (k ? " " : "") + knobs[k].name + "=" + knobs[k].show(s[k]);
  return out;
}

CapturePlan make_capture_plan(const PlanOptions& options) {
  const auto& knobs = options.knobs;
  if (knobs.empty()) throw UsageError("nam-knobs plan: expected at least one --knob, found none");
  for (size_t i = 0; i < knobs.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (knobs[i].name == knobs[j].name)
        throw UsageError("nam-knobs plan: --knob: expected each knob name once, found \"" +
                         knobs[i].name + "\" twice");
  if (options.settings < knobs.size() + 1)
    throw UsageError("nam-knobs plan: --settings: expected at least " +
                     std::to_string(knobs.size() + 1) + " (the number of knobs + 1), found " +
                     std::to_string(options.settings));
  if (!(options.seconds >= kReampMinSeconds && options.seconds <= 3600))
    throw UsageError("nam-knobs plan: --seconds: expected " + num(kReampMinSeconds) +
                     " to 3600 (seconds per take), found " + num(options.seconds));
  if (options.anchor_seconds != 0 &&
      !(options.anchor_seconds >= kReampMinSeconds && options.anchor_seconds <= 3600))
    throw UsageError("nam-knobs plan: --anchor-seconds: expected 0 (no anchor) or " +
                     num(kReampMinSeconds) + " to 3600, found " + num(options.anchor_seconds));

  CapturePlan plan;
  plan.options = options;
  for (const auto& k : knobs) plan.start.push_back(k.default_value);
  const std::vector<Setting> train = design_training(knobs, options.settings, options.seed);
  const std::vector<Setting> test = design_test(knobs, train, options.tests, options.seed);
  plan.corners =
      design_includes_corners(knobs.size(), options.settings) ? size_t{1} << knobs.size() : 0;
  std::vector<Setting> all = train;
  all.insert(all.end(), test.begin(), test.end());
  const std::vector<size_t> order = order_for_travel(knobs, plan.start, all);
  plan.travel = path_travel(knobs, plan.start, all, order);
  plan.random_travel = random_order_travel(knobs, plan.start, all, kRandomOrders, options.seed);
  if (options.anchor_seconds > 0)  // recorded first, at the knobs where the session starts
    plan.takes.push_back({plan.start, Split::train, true, file_name(knobs, plan.start, true)});
  for (size_t i : order)
    plan.takes.push_back({all[i], i < train.size() ? Split::train : Split::test, false,
                          file_name(knobs, all[i], false)});
  return plan;
}

std::string plan_text(const CapturePlan& plan) {
  const PlanOptions& o = plan.options;
  const size_t lhs = o.settings - plan.corners;
  double record_seconds = 0;
  for (const auto& t : plan.takes) record_seconds += t.anchor ? o.anchor_seconds : o.seconds;
  std::string out = "nam-knobs capture plan (seed " + std::to_string(o.seed) + ")\n\n";
  out += std::to_string(o.settings) + " training settings: " +
         (plan.corners ? std::to_string(plan.corners) + " corners + " : "") + std::to_string(lhs) +
         " from a maximin Latin hypercube (each continuous knob gets " + std::to_string(lhs) +
         " evenly spread values, each detented knob its positions in turn; the settings spread "
         "over the whole space)\n";
  out += std::to_string(o.tests) +
         " held-out test settings inside the ranges, each as far as possible from the training "
         "settings\n";
  if (o.anchor_seconds > 0)
    out += "anchor take: " + num(o.anchor_seconds) +
           " s at the defaults (anchor_input.wav), recorded first\n";
  out += "every other take plays input.wav (" + num(o.seconds) + " s at " +
         std::to_string(kPlanSampleRate) + " Hz); recording time " + minutes(record_seconds) +
         " plus knob changes\n\n";
  const double saved =
      plan.random_travel > 0 ? 100.0 * (1.0 - plan.travel / plan.random_travel) : 0;
  out += printf_text(
      "knob travel in this order: %.2f full-range turns (sum over knobs, starting at the "
      "defaults); a random order: %.2f (mean of 200); %.0f%% less\n\n",
      plan.travel, plan.random_travel, saved);
  out += "take  split  ";
  for (const auto& k : o.knobs) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%-9s", k.name.c_str());
    out += buf;
  }
  out += "file\n";
  for (size_t i = 0; i < plan.takes.size(); ++i) {
    const Take& t = plan.takes[i];
    char buf[64];
    std::snprintf(buf, sizeof buf, "%4zu  %-6s ", i + 1, t.anchor ? "anchor" : split_name(t.split));
    out += buf;
    for (size_t k = 0; k < o.knobs.size(); ++k) {
      std::snprintf(buf, sizeof buf, "%-9s", o.knobs[k].show(t.knobs[k]).c_str());
      out += buf;
    }
    out += t.file + "\n";
  }
  return out;
}

std::vector<std::string> write_capture_session(const CapturePlan& plan, const std::string& dir,
                                               bool force) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      throw UsageError("nam-knobs plan: --out " + dir + ": expected a folder, found a file");
    const auto entries = std::distance(fs::directory_iterator(dir, ec), fs::directory_iterator());
    if (entries > 0 && !force)
      throw UsageError(
          "nam-knobs plan: --out " + dir + ": expected a new or empty folder, found one holding " +
          std::to_string(entries) + " entries (add --force to write the plan's files over it)");
  }
  fs::create_directories(dir, ec);
  if (ec) throw input_error(dir, "", "a folder that can be created", ec.message());
  const auto path = [&](const std::string& name) { return (fs::path(dir) / name).string(); };
  std::vector<std::string> written;
  const auto text = [&](const std::string& name, const std::string& content) {
    write_text_atomically(path(name), content);
    written.push_back(path(name));
  };
  const PlanOptions& o = plan.options;
  const ReampSignal input = make_reamp_signal(o.seconds, o.seed, false, kPlanSampleRate);
  write_wav(path("input.wav"), input.samples, kPlanSampleRate);
  written.push_back(path("input.wav"));
  if (o.anchor_seconds > 0) {
    const ReampSignal anchor = make_reamp_signal(o.anchor_seconds, o.seed, true, kPlanSampleRate);
    write_wav(path("anchor_input.wav"), anchor.samples, kPlanSampleRate);
    written.push_back(path("anchor_input.wav"));
  }
  text("plan.csv", csv_text(plan));
  text("plan.txt", plan_text(plan));
  text("dataset.json", dataset_json(plan));
  text("README.txt", readme_text(plan));
  return written;
}

std::string SessionCheck::text() const {
  std::string out;
  for (const TakeCheck& t : takes) {
    const char* status = t.status == TakeStatus::ok        ? "ok"
                         : t.status == TakeStatus::missing ? "MISSING"
                                                           : "UNUSABLE";
    char buf[96];
    std::snprintf(buf, sizeof buf, "  %-9s", status);
    out += buf + t.setting + "  " + t.file;
    if (t.status == TakeStatus::ok) {
      out += "  (delay " + std::to_string(t.delay) + " samples, noise floor " +
             (t.noise_floor_db < -120 ? std::string("below -120 dBFS)")
                                      : printf_text("%.0f dBFS)", t.noise_floor_db));
      if (!t.problem.empty()) out += "; note: " + t.problem;
    } else {
      out += ": " + t.problem;
    }
    out += "\n";
  }
  out += "check: " + std::to_string(takes.size() - bad) + " of " + std::to_string(takes.size()) +
         " takes usable" +
         (bad ? ", " + std::to_string(bad) + " missing or unusable (record them again)" : "") +
         "\n";
  return out;
}

SessionCheck check_capture_session(const std::string& dir) {
  const std::string dataset_file = (fs::path(dir) / "dataset.json").string();
  if (!fs::exists(dataset_file))
    throw input_error(dataset_file, "", "the dataset of a capture session (made by nam-knobs plan)",
                      "no such file");
  const DatasetSpec spec =
      parse_dataset(Json::parse_file(dataset_file), false, [](const std::string&) {});
  std::vector<PlanKnob> knobs;
  for (const auto& k : spec.knobs) knobs.push_back({k.name, k.min, k.max, k.default_value, {}, {}});

  std::map<std::string, Audio> inputs;
  SessionCheck check;
  const auto quiet = [](const std::string&) {};
  for (const DatasetEntry& e : spec.entries) {
    TakeCheck t;
    t.setting = setting_label(knobs, e.knob_values);
    t.file = fs::path(e.output_file).filename().string();
    if (!inputs.count(e.input_file)) inputs[e.input_file] = read_audio(e.input_file, quiet);
    const Audio& in = inputs[e.input_file];
    const auto fail = [&](TakeStatus status, const std::string& why) {
      t.status = status;
      t.problem = why;
    };
    if (!fs::exists(e.output_file)) {
      fail(TakeStatus::missing, "no such file");
      check.takes.push_back(t);
      continue;
    }
    Audio out;
    try {
      out = read_audio(e.output_file, quiet);
      check_finite(out.samples, e.output_file, out.sample_rate);
      check_not_silent(out.samples, e.output_file);
    } catch (const InputError& error) {
      fail(TakeStatus::unusable, error.what());
      check.takes.push_back(t);
      continue;
    }
    const int sr = in.sample_rate;
    const long n_in = static_cast<long>(in.samples.size()),
               n_out = static_cast<long>(out.samples.size());
    long clipped = 0, first_clip = -1;
    for (long i = 0; i < n_out; ++i)
      if (std::fabs(out.samples[i]) >= kClipLevel) {
        if (clipped++ == 0) first_clip = i;
      }
    const BlipAlignment blips = blip_alignment(in.samples, out.samples, sr);
    if (out.sample_rate != sr) {
      fail(TakeStatus::unusable, "recorded at " + std::to_string(out.sample_rate) +
                                     " Hz, the input is " + std::to_string(sr) +
                                     " Hz: record again at " + std::to_string(sr) + " Hz");
    } else if (n_out < n_in - kLengthTolerance) {
      fail(TakeStatus::unusable,
           printf_text("too short: %.3f s, the input is %.3f s; record the whole input",
                       double(n_out) / sr, double(n_in) / sr));
    } else if (n_out > n_in + kLengthTolerance) {
      fail(TakeStatus::unusable,
           printf_text("too long: %.3f s, the input is %.3f s; trim the recording to the input's "
                       "length, starting where the input starts",
                       double(n_out) / sr, double(n_in) / sr));
    } else if (clipped > 0) {
      fail(TakeStatus::unusable,
           printf_text("clipped: %.0f samples at full scale, the first at %.3f s; lower the "
                       "interface's recording gain and record it again",
                       double(clipped), double(first_clip) / sr));
    } else if (!blips.problem.empty()) {
      fail(TakeStatus::unusable, blips.problem);
    }
    if (blips.head_delay) {
      t.delay = *blips.head_delay;
      t.delay_known = true;
      const long a = std::clamp<long>(std::lround(kReampNoiseFloorBegin * sr) + t.delay, 0, n_out);
      const long b =
          std::clamp<long>(std::lround((kReampMusicBegin - 0.1) * sr) + t.delay, a, n_out);
      t.noise_floor_db = rms_db(std::span<const float>(out.samples)
                                    .subspan(static_cast<size_t>(a), static_cast<size_t>(b - a)));
      if (t.status == TakeStatus::ok && t.noise_floor_db > kNoisyFloorDb)
        t.problem =
            printf_text("noisy: the silence before the music is at %.0f dBFS", t.noise_floor_db);
    }
    check.takes.push_back(t);
  }

  // A take whose blips sit elsewhere than the others' was recorded with another latency (buffer
  // size changed, recording started by hand): its delay is not the session's.
  std::vector<long> delays;
  for (const auto& t : check.takes)
    if (t.delay_known && t.status == TakeStatus::ok) delays.push_back(t.delay);
  if (delays.size() >= 2) {
    std::sort(delays.begin(), delays.end());
    const long median = delays[(delays.size() - 1) / 2];
    for (auto& t : check.takes)
      if (t.status == TakeStatus::ok && t.delay_known &&
          std::labs(t.delay - median) > kBlipTolerance) {
        t.status = TakeStatus::unusable;
        t.problem = "shifted: its blips are " + std::to_string(t.delay - median) +
                    " samples from where the other takes have them (delay " +
                    std::to_string(t.delay) + ", the session's " + std::to_string(median) +
                    "); was the buffer size changed or the recording started by hand?";
      }
  }
  for (const auto& t : check.takes) check.bad += t.status != TakeStatus::ok;
  return check;
}

}  // namespace namk
