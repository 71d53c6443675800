// See knob_automation.h.
#include "apps/knob_automation.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "base/error.h"

namespace namk::app {

namespace {

double parse_number(const std::string& text, const std::string& argument) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw UsageError("--knob " + argument + ": expected a number, found '" + text + "'");
  return v;
}

long long parse_time(const std::string& text, double sample_rate, const std::string& argument) {
  double scale = 1;  // samples
  std::string number = text;
  if (text.size() > 2 && text.ends_with("ms")) {
    scale = sample_rate / 1000;
    number = text.substr(0, text.size() - 2);
  } else if (text.size() > 1 && text.ends_with("s")) {
    scale = sample_rate;
    number = text.substr(0, text.size() - 1);
  }
  const double t = parse_number(number, argument) * scale;
  if (t < 0) throw UsageError("--knob " + argument + ": times must be >= 0, found '" + text + "'");
  // 1e308s is finite but no sample index: llround would return garbage (negative, i.e. "now").
  if (!(t <= 9e15))
    throw UsageError("--knob " + argument + ": expected a time within 9e15 samples, found '" + text + "'");
  return std::llround(t);
}

}  // namespace

std::vector<KnobEvent> parse_knob_arguments(const std::vector<std::string>& arguments,
                                            const Model& model, double sample_rate) {
  std::vector<KnobEvent> events;
  for (const std::string& argument : arguments) {
    const auto eq = argument.find('=');
    if (eq == std::string::npos)
      throw UsageError("--knob " + argument + ": expected NAME=VALUE or NAME=V1@T1,V2@T2...");
    const std::string name = argument.substr(0, eq);
    const auto& knobs = model.knobs();
    const auto it = std::find_if(knobs.begin(), knobs.end(), [&](const KnobSpec& k) { return k.name == name; });
    if (it == knobs.end()) {
      std::string known;
      for (const auto& k : knobs) known += (known.empty() ? "" : ", ") + k.name;
      throw UsageError("--knob " + argument + ": the model has no knob '" + name + "' (its knobs: " +
                       (known.empty() ? "none" : known) + ")");
    }
    const Index knob = it - knobs.begin();
    std::string rest = argument.substr(eq + 1);
    size_t start = 0;
    while (start <= rest.size()) {
      const size_t comma = std::min(rest.find(',', start), rest.size());
      const std::string point = rest.substr(start, comma - start);
      const auto at = point.find('@');
      KnobEvent e{0, knob, 0};
      e.value = parse_number(point.substr(0, at), argument);
      if (at != std::string::npos) e.sample = parse_time(point.substr(at + 1), sample_rate > 0 ? sample_rate : model.sample_rate(), argument);
      if (e.value < it->min || e.value > it->max)
        throw UsageError("--knob " + argument + ": " + name + " ranges over [" + std::to_string(it->min) +
                         ", " + std::to_string(it->max) + "], found " + point.substr(0, at));
      events.push_back(e);
      start = comma + 1;
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const KnobEvent& a, const KnobEvent& b) { return a.sample < b.sample; });
  return events;
}

}  // namespace namk::app
