// Which knob settings to record, and in what order: the design behind `nam-knobs plan`. Pure
// functions of the knob list, the counts and a seed (same inputs, same settings, on every
// platform). Every setting returned is one a user can dial: continuous knobs are rounded to a
// step of at most 1% of their range, detented knobs and switches sit on one of their positions.
// Leaves out files and audio (capture_plan.h writes the session).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace namk {

// A knob as given to `--knob`: "gain:0:10", "bass:0:10:5" (continuous, optional default) or
// "voice:1,2,3" / "bright:off,on" (detented knob or switch). Positions named by words get the
// values 0, 1, 2... in the dataset; `labels` keeps the words for the checklist and file names.
struct PlanKnob {
  std::string name;
  double min = 0, max = 1, default_value = 0.5;
  std::vector<double> levels;       // detented: the positions, ascending; empty: continuous
  std::vector<std::string> labels;  // detented with named positions: one per level; else empty

  bool detented() const { return !levels.empty(); }
  double normalise(double value) const { return (value - min) / (max - min); }
  // The dialable value nearest to min + u (max - min), u in [0, 1].
  double realise(double u) const;
  // "7.3", or a position's label ("on"): how the value is shown and put into file names.
  std::string show(double value) const;
};

// Throws UsageError naming the --knob text for: a bad name (letters, digits, '_' and '-' only),
// min >= max, a default outside [min, max], fewer than two positions, repeated positions.
PlanKnob parse_plan_knob(const std::string& text);

using Setting = std::vector<double>;  // one value per knob, in the knobs' own units

// Rounding step of a continuous knob: the largest power of ten <= 1% of the range (0..10 -> 0.1).
double knob_step(const PlanKnob& knob);

// How many distinct settings exist (a huge number when a knob is continuous).
double distinct_settings(const std::vector<PlanKnob>& knobs);

// True when the 2^d corners are part of an n-setting design: when they take at most half of it.
bool design_includes_corners(size_t knobs, size_t n);

// n training settings: the corners (when design_includes_corners) plus a maximin Latin hypercube
// for the rest (see knob_design.cpp for why), optimised after rounding, so snapped settings never
// coincide while distinct ones exist. Throws UsageError when n exceeds distinct_settings().
std::vector<Setting> design_training(const std::vector<PlanKnob>& knobs, size_t n,
                                     std::uint64_t seed);

// m held-out settings strictly inside the continuous knobs' ranges (10%..90%), each as far as
// possible from every training setting and from each other (greedy maximin over seeded
// candidates); never equal to a training setting. Throws UsageError when that is impossible.
std::vector<Setting> design_test(const std::vector<PlanKnob>& knobs,
                                 const std::vector<Setting>& training, size_t m,
                                 std::uint64_t seed);

// Knob travel between two settings: the sum over knobs of |change| as a fraction of the range,
// i.e. how many full sweeps of a knob the user makes. A switch flip counts its normalised distance.
double knob_distance(const std::vector<PlanKnob>& knobs, const Setting& a, const Setting& b);

// Total travel of visiting `settings` in `order`, starting with the knobs at `start`.
double path_travel(const std::vector<PlanKnob>& knobs, const Setting& start,
                   const std::vector<Setting>& settings, const std::vector<size_t>& order);

// A short visiting order from `start`: nearest neighbour, then 2-opt until no reversal shortens
// the path. Deterministic (ties go to the lower index).
std::vector<size_t> order_for_travel(const std::vector<PlanKnob>& knobs, const Setting& start,
                                     const std::vector<Setting>& settings);

// Mean travel of `trials` random orders (seeded): the baseline the planned order is compared to.
double random_order_travel(const std::vector<PlanKnob>& knobs, const Setting& start,
                           const std::vector<Setting>& settings, int trials, std::uint64_t seed);

}  // namespace namk
