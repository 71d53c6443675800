// Knob settings and automation from the command line: `--knob gain=5` sets a knob for the whole
// render; `--knob gain=2@0s,8@5s` sets it to 2 at 0 s and to 8 at 5 s (times in s, ms or samples:
// "5s", "250ms", "12000"). Each change is applied at its sample and the model's knob smoothing
// ramps it, so automation exercises the same path a plugin host does.
#pragma once

#include <string>
#include <vector>

#include "nn/model.h"

namespace namk::app {

struct KnobEvent {
  long long sample = 0;
  Index knob = 0;
  double value = 0;
};

// Parses every --knob argument against the model's knobs; events sorted by time (stable), in
// samples at sample_rate (0: the model's rate). Throws UsageError naming the argument and what is
// wrong (unknown knob, bad number, bad time).
std::vector<KnobEvent> parse_knob_arguments(const std::vector<std::string>& arguments,
                                            const Model& model, double sample_rate = 0);

}  // namespace namk::app
