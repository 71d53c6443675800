// A knob as the user declared it: name, range, default and units. Shared by data/ (which reads the
// declarations) and nn/ (which normalises knob values to the range) without either depending on
// the other. Invariant once validated: min < max and min <= default_value <= max.
#pragma once

#include <string>

namespace namk {

struct KnobSpec {
  std::string name;
  double min = 0.0;
  double max = 1.0;
  double default_value = 0.5;
  std::string units;  // informational only ("dB", "clock position"); empty when not given

  // Maps [min, max] to [0, 1]; models see this, users see their own units.
  double normalise(double value) const { return (value - min) / (max - min); }
};

}  // namespace namk
