// See knob_design.h. Why a maximin Latin hypercube: a model of an amp has to learn how each knob
// on its own moves the sound, and a Latin hypercube gives every knob n distinct, evenly spread
// values from n settings, where a grid of the same size gives each knob only n^(1/d) values and
// random settings leave gaps and clumps. Among Latin hypercubes, maximin (here the Morris-Mitchell
// criterion, a smooth stand-in for "largest smallest distance") spreads the settings over the
// joint space as well, so no combination of knobs is far from a recording. Unlike Sobol or grid
// designs it works for any n. Corners come first because a model interpolates but extrapolates
// badly, and a centred Latin hypercube never reaches the ends of a knob.
#include "data/knob_design.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "base/error.h"
#include "data/rng.h"

namespace namk {

namespace {

[[noreturn]] void bad_knob(const std::string& text, const std::string& expected,
                           const std::string& found) {
  throw UsageError("nam-knobs plan: --knob " + text + ": expected " + expected +
                   (found.empty() ? "" : ", found " + found));
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(begin, i - begin));
      begin = i + 1;
    }
  return parts;
}

bool parse_number(const std::string& s, double& value) {
  char* end = nullptr;
  value = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && std::isfinite(value);
}

// The normalised coordinates of a setting: what distances are measured in.
std::vector<double> unit(const std::vector<PlanKnob>& knobs, const Setting& s) {
  std::vector<double> u(knobs.size());
  for (size_t k = 0; k < knobs.size(); ++k) u[k] = knobs[k].normalise(s[k]);
  return u;
}

double squared_distance(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t k = 0; k < a.size(); ++k) d += (a[k] - b[k]) * (a[k] - b[k]);
  return d;
}

// Morris-Mitchell: sum over pairs of distance^-p. With a large p the closest pair dominates (so
// minimising it maximises the smallest distance), but every pair still counts, which lets a local
// search make progress where the plain minimum distance is flat. Coinciding settings cost 1e90.
constexpr double kMorrisMitchellP = 15;

// d2^(-p/2) for p = 15 by multiplications and one square root: the search calls it n^2/2 times
// per step, and std::pow would dominate the run time.
double inverse_power(double d2) {
  static_assert(kMorrisMitchellP == 15);
  const double inv = 1.0 / d2, inv2 = inv * inv, inv4 = inv2 * inv2;
  return inv4 * inv2 * inv / std::sqrt(d2);
}

double spread_cost(const std::vector<std::vector<double>>& u) {
  double cost = 0;
  for (size_t i = 0; i < u.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      cost += inverse_power(std::max(squared_distance(u[i], u[j]), 1e-12));
  return cost;
}

double min_distance_to(const std::vector<double>& u, const std::vector<std::vector<double>>& set) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& v : set) best = std::min(best, squared_distance(u, v));
  return best;
}

// A dialable setting drawn at random: continuous knobs within [lo, hi] of their range, detented
// ones on any position.
Setting random_setting(const std::vector<PlanKnob>& knobs, Rng& rng, double lo, double hi) {
  Setting s(knobs.size());
  for (size_t k = 0; k < knobs.size(); ++k)
    s[k] = knobs[k].detented() ? knobs[k].levels[uniform_index(rng, knobs[k].levels.size())]
                               : knobs[k].realise(uniform(rng, lo, hi));
  return s;
}

}  // namespace

double PlanKnob::realise(double u) const {
  const double v = min + std::clamp(u, 0.0, 1.0) * (max - min);
  if (detented()) {
    double best = levels[0];
    for (double level : levels)
      if (std::fabs(level - v) < std::fabs(best - v)) best = level;
    return best;
  }
  const double step = knob_step(*this);
  return std::clamp(std::round(v / step) * step, min, max);
}

std::string PlanKnob::show(double value) const {
  if (!labels.empty())
    for (size_t i = 0; i < levels.size(); ++i)
      if (levels[i] == value) return labels[i];
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", value);
  return buf;
}

PlanKnob parse_plan_knob(const std::string& text) {
  const std::string format = "name:min:max[:default] or name:a,b,c";
  const size_t colon = text.find(':');
  if (colon == std::string::npos) bad_knob(text, format, "no ':'");
  PlanKnob knob;
  knob.name = text.substr(0, colon);
  if (knob.name.empty() ||
      knob.name.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != std::string::npos)
    bad_knob(text, "a knob name of letters, digits, '_' and '-'", "\"" + knob.name + "\"");
  const std::string rest = text.substr(colon + 1);

  if (rest.find(',') != std::string::npos) {  // a detented knob or a switch
    const std::vector<std::string> items = split(rest, ',');
    std::vector<double> values(items.size());
    bool numeric = true;
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].empty()) bad_knob(text, "positions separated by single commas", "an empty one");
      numeric = numeric && parse_number(items[i], values[i]);
    }
    if (numeric) {
      knob.levels = values;
      std::sort(knob.levels.begin(), knob.levels.end());
    } else {
      knob.labels = items;
      for (size_t i = 0; i < items.size(); ++i) knob.levels.push_back(double(i));
    }
    for (size_t i = 1; i < knob.levels.size(); ++i)
      if (knob.levels[i] == knob.levels[i - 1] ||
          (!knob.labels.empty() &&
           std::count(knob.labels.begin(), knob.labels.end(), knob.labels[i]) > 1))
        bad_knob(text, "each position once",
                 "\"" + (numeric ? format_number(knob.levels[i]) : items[i]) + "\" twice");
    knob.min = knob.levels.front();
    knob.max = knob.levels.back();
    knob.default_value = knob.levels[(knob.levels.size() - 1) / 2];
    return knob;
  }

  const std::vector<std::string> parts = split(rest, ':');
  if (parts.size() < 2 || parts.size() > 3) bad_knob(text, format, "");
  double values[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i)
    if (!parse_number(parts[i], values[i]))
      bad_knob(text, format + " with numbers", "\"" + parts[i] + "\"");
  knob.min = values[0];
  knob.max = values[1];
  if (!(knob.min < knob.max))
    bad_knob(text, "min < max", "min " + format_number(knob.min) + " and max " + format_number(knob.max));
  knob.default_value = parts.size() == 3 ? values[2] : 0.5 * (knob.min + knob.max);
  if (knob.default_value < knob.min || knob.default_value > knob.max)
    bad_knob(text, "a default within [" + format_number(knob.min) + ", " + format_number(knob.max) + "]",
             format_number(knob.default_value));
  return knob;
}

double knob_step(const PlanKnob& knob) {
  return std::pow(10.0, std::floor(std::log10((knob.max - knob.min) / 100.0)));
}

double distinct_settings(const std::vector<PlanKnob>& knobs) {
  double n = 1;
  for (const auto& k : knobs)
    n *= k.detented() ? double(k.levels.size())
                      : std::floor((k.max - k.min) / knob_step(k) + 1e-9) + 1;
  return n;
}

bool design_includes_corners(size_t knobs, size_t n) {
  return knobs < 20 && (size_t{1} << knobs) * 2 <= n;
}

std::vector<Setting> design_training(const std::vector<PlanKnob>& knobs, size_t n,
                                     std::uint64_t seed) {
  const size_t d = knobs.size();
  if (double(n) > distinct_settings(knobs))
    throw UsageError(
        "nam-knobs plan: --settings: expected at most " + format_number(distinct_settings(knobs)) +
        " (the number of distinct settings of these knobs), found " + std::to_string(n));
  std::vector<Setting> corners;
  if (design_includes_corners(d, n))
    for (size_t c = 0; c < (size_t{1} << d); ++c) {
      Setting s(d);
      for (size_t k = 0; k < d; ++k) s[k] = (c >> k) & 1 ? knobs[k].max : knobs[k].min;
      corners.push_back(s);
    }
  const size_t r = n - corners.size();
  // Strata centres when corners hold the ends; otherwise the strata span the ends themselves.
  std::vector<double> strata(r);
  for (size_t i = 0; i < r; ++i)
    strata[i] = !corners.empty() ? (i + 0.5) / r : r == 1 ? 0.5 : double(i) / double(r - 1);

  Rng rng = make_rng(seed, 1);
  std::vector<std::vector<size_t>> perm(d, std::vector<size_t>(r));
  const auto build = [&](std::vector<Setting>& settings, std::vector<std::vector<double>>& u) {
    settings = corners;
    for (size_t i = 0; i < r; ++i) {
      Setting s(d);
      for (size_t k = 0; k < d; ++k) s[k] = knobs[k].realise(strata[perm[k][i]]);
      settings.push_back(s);
    }
    u.clear();
    for (const auto& s : settings) u.push_back(unit(knobs, s));
  };

  // Local search: swap two settings' strata in one knob, keep the swap when the design spreads
  // better. A few restarts from fresh random hypercubes avoid the worst local optima. The budget
  // keeps large designs to about a second.
  const double pair_work = double(n) * double(n) * double(d);
  const int evaluations =
      static_cast<int>(std::clamp(1e9 / std::max(pair_work, 1.0), 400.0, 12000.0));
  const int restarts = 4;
  std::vector<Setting> best, settings;
  std::vector<std::vector<double>> u;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int restart = 0; restart < restarts; ++restart) {
    for (auto& p : perm) {
      for (size_t i = 0; i < r; ++i) p[i] = i;
      shuffle(p, rng);
    }
    build(settings, u);
    double cost = spread_cost(u);
    for (int it = 0; r >= 2 && it < evaluations / restarts; ++it) {
      const size_t k = uniform_index(rng, d), i = uniform_index(rng, r), j = uniform_index(rng, r);
      if (i == j) continue;
      std::swap(perm[k][i], perm[k][j]);
      build(settings, u);
      const double c = spread_cost(u);
      if (c < cost)
        cost = c;
      else
        std::swap(perm[k][i], perm[k][j]);
    }
    build(settings, u);
    if (cost < best_cost) best_cost = cost, best = settings;
  }

  // Snapping can still leave two settings equal (few detent positions); move each repeat to the
  // free setting farthest from the rest.
  Rng fix = make_rng(seed, 2);
  for (size_t i = 0; i < best.size(); ++i) {
    bool repeated = false;
    for (size_t j = 0; j < i; ++j) repeated = repeated || best[j] == best[i];
    if (!repeated) continue;
    std::vector<std::vector<double>> others;
    for (size_t j = 0; j < best.size(); ++j)
      if (j != i) others.push_back(unit(knobs, best[j]));
    double far = 0;
    for (int c = 0; c < 4096; ++c) {
      const Setting s = random_setting(knobs, fix, 0, 1);
      const double dist = min_distance_to(unit(knobs, s), others);
      if (dist > far) far = dist, best[i] = s;
    }
  }
  return best;
}

std::vector<Setting> design_test(const std::vector<PlanKnob>& knobs,
                                 const std::vector<Setting>& training, size_t m,
                                 std::uint64_t seed) {
  Rng rng = make_rng(seed, 3);
  std::vector<Setting> candidates;
  for (int c = 0; c < 4096; ++c) candidates.push_back(random_setting(knobs, rng, 0.1, 0.9));
  std::vector<std::vector<double>> taken;
  for (const auto& s : training) taken.push_back(unit(knobs, s));
  std::vector<Setting> tests;
  for (size_t t = 0; t < m; ++t) {
    double far = 0;
    size_t pick = candidates.size();
    for (size_t c = 0; c < candidates.size(); ++c) {
      const double dist = min_distance_to(unit(knobs, candidates[c]), taken);
      if (dist > far) far = dist, pick = c;
    }
    if (pick == candidates.size())
      throw UsageError("nam-knobs plan: --test: expected at most " + std::to_string(t) +
                       " held-out settings (no other setting differs from the " +
                       std::to_string(training.size()) + " training settings), found " +
                       std::to_string(m));
    tests.push_back(candidates[pick]);
    taken.push_back(unit(knobs, candidates[pick]));
  }
  return tests;
}

double knob_distance(const std::vector<PlanKnob>& knobs, const Setting& a, const Setting& b) {
  double d = 0;
  for (size_t k = 0; k < knobs.size(); ++k)
    d += std::fabs(a[k] - b[k]) / (knobs[k].max - knobs[k].min);
  return d;
}

double path_travel(const std::vector<PlanKnob>& knobs, const Setting& start,
                   const std::vector<Setting>& settings, const std::vector<size_t>& order) {
  double total = 0;
  const Setting* at = &start;
  for (size_t i : order) {
    total += knob_distance(knobs, *at, settings[i]);
    at = &settings[i];
  }
  return total;
}

std::vector<size_t> order_for_travel(const std::vector<PlanKnob>& knobs, const Setting& start,
                                     const std::vector<Setting>& settings) {
  const size_t n = settings.size();
  std::vector<size_t> path;
  std::vector<bool> used(n, false);
  const Setting* at = &start;
  for (size_t step = 0; step < n; ++step) {
    size_t next = n;
    double nearest = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i)
      if (!used[i] && knob_distance(knobs, *at, settings[i]) < nearest)
        nearest = knob_distance(knobs, *at, settings[i]), next = i;
    used[next] = true;
    path.push_back(next);
    at = &settings[next];
  }
  // 2-opt on an open path with a fixed start: reversing path[i..j] replaces the edges
  // (before i, i) and (j, after j) by (before i, j) and (i, after j); the last take has no after.
  const auto point = [&](size_t pos) -> const Setting& { return settings[path[pos]]; };
  for (bool improved = true; improved;) {
    improved = false;
    for (size_t i = 0; i + 1 < n; ++i)
      for (size_t j = i + 1; j < n; ++j) {
        const Setting& before = i == 0 ? start : point(i - 1);
        double old_cost = knob_distance(knobs, before, point(i));
        double new_cost = knob_distance(knobs, before, point(j));
        if (j + 1 < n) {
          old_cost += knob_distance(knobs, point(j), point(j + 1));
          new_cost += knob_distance(knobs, point(i), point(j + 1));
        }
        if (new_cost < old_cost - 1e-12) {
          std::reverse(path.begin() + static_cast<long>(i),
                       path.begin() + static_cast<long>(j) + 1);
          improved = true;
        }
      }
  }
  return path;
}

double random_order_travel(const std::vector<PlanKnob>& knobs, const Setting& start,
                           const std::vector<Setting>& settings, int trials, std::uint64_t seed) {
  Rng rng = make_rng(seed, 4);
  std::vector<size_t> order(settings.size());
  double total = 0;
  for (int t = 0; t < trials; ++t) {
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    shuffle(order, rng);
    total += path_travel(knobs, start, settings, order);
  }
  return trials > 0 ? total / trials : 0;
}

}  // namespace namk
