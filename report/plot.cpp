// See plot.h.
#include "report/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace namk {

namespace {

// The 1-2-5 step nearest to span / target.
double nice_step(double span, int target) {
  const double raw = span / std::max(1, target);
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * decade >= raw) return m * decade;
  return 10 * decade;
}

}  // namespace

double Axis::unit(double v) const {
  if (log) return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  return (v - lo) / (hi - lo);
}

bool Axis::drawable(double v) const { return std::isfinite(v) && (!log || v > 0); }

std::vector<double> Axis::ticks() const {
  std::vector<double> t;
  const double tolerance = 1e-9 * (hi - lo);
  if (!log) {
    const double step = nice_step(hi - lo, 5);
    for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + tolerance; v += step)
      t.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    return t;
  }
  const bool fine = hi / lo <= 1000;  // up to three decades: 1, 2 and 5 of each
  for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= static_cast<int>(std::ceil(std::log10(hi))); ++e)
    for (double m : fine ? std::vector<double>{1, 2, 5} : std::vector<double>{1}) {
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
    }
  return t;
}

Axis linear_axis(double lo, double hi, const std::string& label) {
  if (!(hi > lo)) {
    const double pad = std::max(1.0, std::abs(lo) * 0.1);
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo, 5);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, false, label};
}

Axis log_axis(double lo, double hi, const std::string& label) {
  if (!(lo > 0)) lo = hi > 0 ? hi / 10 : 1e-3;
  if (!(hi > lo)) hi = lo * 10;
  // Snap outwards to 1, 2 or 5 times a power of ten.
  auto snap = [](double v, bool up) {
    const double decade = std::pow(10.0, std::floor(std::log10(v)));
    const double m = v / decade;
    if (up) return (m <= 1 + 1e-9 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * decade;
    return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * decade;
  };
  return {snap(lo, false), snap(hi, true), true, label};
}

std::pair<double, double> value_range(const std::vector<double>& values, bool positive_only) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values)
    if (std::isfinite(v) && (!positive_only || v > 0)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  if (lo > hi) return {positive_only ? 0.1 : 0.0, 1.0};
  return {lo, hi};
}

std::string tick_label(double v) {
  char text[32];
  const double a = std::abs(v);
  if (a >= 1000) {
    std::snprintf(text, sizeof text, "%gk", v / 1000);
  } else if (a != 0 && a < 0.01) {
    std::snprintf(text, sizeof text, "%g", v);  // "0.001", "1e-05"
  } else {
    std::snprintf(text, sizeof text, "%.4g", v);
  }
  return text;
}

PlotArea::PlotArea(SvgWriter& svg, double left, double top, double width, double height, Axis x, Axis y)
    : svg_(svg), left_(left), top_(top), width_(width), height_(height), x_(std::move(x)), y_(std::move(y)) {}

double PlotArea::px(double x) const { return left_ + x_.unit(x) * width_; }
double PlotArea::py(double y) const { return top_ + (1 - y_.unit(y)) * height_; }

void PlotArea::axes() {
  svg_.open("g", {{"class", "axes"}});
  for (double t : x_.ticks_shown ? x_.ticks() : std::vector<double>{}) {
    const double x = px(t);
    svg_.element("line", {{"class", "grid"}, {"x1", svg_coord(x)}, {"x2", svg_coord(x)},
                          {"y1", svg_coord(top_)}, {"y2", svg_coord(top_ + height_)}});
    svg_.text(x, top_ + height_ + 16, tick_label(t), {{"class", "tick"}, {"text-anchor", "middle"}});
  }
  for (double t : y_.ticks_shown ? y_.ticks() : std::vector<double>{}) {
    const double y = py(t);
    svg_.element("line", {{"class", "grid"}, {"x1", svg_coord(left_)}, {"x2", svg_coord(left_ + width_)},
                          {"y1", svg_coord(y)}, {"y2", svg_coord(y)}});
    svg_.text(left_ - 6, y + 4, tick_label(t), {{"class", "tick"}, {"text-anchor", "end"}});
  }
  svg_.element("rect", {{"class", "frame"}, {"x", svg_coord(left_)}, {"y", svg_coord(top_)},
                        {"width", svg_coord(width_)}, {"height", svg_coord(height_)}});
  if (!x_.label.empty())
    svg_.text(left_ + width_ / 2, top_ + height_ + 36, x_.label, {{"class", "axis-label"}, {"text-anchor", "middle"}});
  if (!y_.label.empty()) {
    const double x = left_ - 48, y = top_ + height_ / 2;
    svg_.text(x, y, y_.label,
              {{"class", "axis-label"}, {"text-anchor", "middle"},
               {"transform", "rotate(-90 " + svg_coord(x) + " " + svg_coord(y) + ")"}});
  }
  svg_.close();
}

void PlotArea::line(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& css_class,
                    const SvgAttrs& attrs) {
  std::string points;
  auto flush = [&] {
    if (points.empty()) return;
    SvgAttrs a = {{"class", css_class}, {"points", points}};
    a.insert(a.end(), attrs.begin(), attrs.end());
    svg_.element("polyline", a);
    points.clear();
  };
  for (size_t i = 0; i < std::min(xs.size(), ys.size()); ++i) {
    if (!drawable(xs[i], ys[i])) {
      flush();
      continue;
    }
    if (!points.empty()) points += ' ';
    points += svg_coord(px(xs[i])) + "," + svg_coord(py(ys[i]));
  }
  flush();
}

bool PlotArea::point(double x, double y, double radius, const std::string& css_class, const SvgAttrs& attrs) {
  if (!drawable(x, y)) return false;
  SvgAttrs a = {{"class", css_class}, {"cx", svg_coord(px(x))}, {"cy", svg_coord(py(y))}, {"r", svg_coord(radius)}};
  a.insert(a.end(), attrs.begin(), attrs.end());
  svg_.element("circle", a);
  return true;
}

void PlotArea::vline(double x, const std::string& css_class, const std::string& label) {
  if (!x_.drawable(x)) return;
  const double p = px(x);
  svg_.element("line", {{"class", css_class}, {"x1", svg_coord(p)}, {"x2", svg_coord(p)},
                        {"y1", svg_coord(top_)}, {"y2", svg_coord(top_ + height_)}});
  if (label.empty()) return;
  // Right of the line, unless it would run past the plot's right edge (the best epoch is often
  // the last): then left of it, ending at the line (about 7 px per character, as legend()).
  const double label_width = 7.0 * static_cast<double>(label.size());
  if (p + 4 + label_width <= left_ + width_)
    svg_.text(p + 4, top_ + 12, label, {{"class", css_class + "-label"}});
  else
    svg_.text(p - 4, top_ + 12, label, {{"class", css_class + "-label"}, {"text-anchor", "end"}});
}

void PlotArea::legend(const std::vector<std::pair<std::string, std::string>>& items) {
  double y = top_ - 10;
  double x = left_ + width_;
  // Right-aligned, laid out from the right edge leftwards (about 7 px per character).
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    const double w = 7.0 * static_cast<double>(it->second.size()) + 28;
    x -= w;
    svg_.element("line", {{"class", it->first}, {"x1", svg_coord(x)}, {"x2", svg_coord(x + 18)},
                          {"y1", svg_coord(y - 4)}, {"y2", svg_coord(y - 4)}});
    svg_.text(x + 22, y, it->second, {{"class", "legend"}});
  }
}

}  // namespace namk
