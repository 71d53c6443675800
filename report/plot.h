// Plot primitives over SvgWriter: linear and logarithmic axes with readable ticks, a plot area that
// maps data to pixels, grid and tick labels, polylines and point marks. Styling is by CSS class
// (the report's stylesheet), so charts stay small and print well. Points that cannot be drawn
// (non-finite, or <= 0 on a log axis) are skipped, never clamped to an edge.
#pragma once

#include <string>
#include <vector>

#include "report/svg.h"

namespace namk {

struct Axis {
  double lo = 0, hi = 1;  // the drawn range; lo < hi, both > 0 when log
  bool log = false;
  std::string label;
  bool ticks_shown = true;  // false: no grid or tick labels (an axis that only positions rows)

  // 0 at lo, 1 at hi.
  double unit(double v) const;
  bool drawable(double v) const;
  // Major tick values inside [lo, hi]: 1-2-5 steps for linear axes; decades (with 2 and 5 when
  // the range spans at most three decades) for log axes.
  std::vector<double> ticks() const;
};

// An axis covering [lo, hi] widened to round numbers (linear) or to 1-2-5 values (log). A
// degenerate range (lo == hi) is widened around the value.
Axis linear_axis(double lo, double hi, const std::string& label);
Axis log_axis(double lo, double hi, const std::string& label);
// Finite values' range (and > 0 when positive_only); {0, 1} when there are none.
std::pair<double, double> value_range(const std::vector<double>& values, bool positive_only);
// A tick label: "0.001", "0.25", "20", "1k", "12k".
std::string tick_label(double v);

class PlotArea {
 public:
  // The plot area's rectangle inside `svg` (left, top, width, height) and its axes.
  PlotArea(SvgWriter& svg, double left, double top, double width, double height, Axis x, Axis y);

  double px(double x) const;
  double py(double y) const;
  bool drawable(double x, double y) const { return x_.drawable(x) && y_.drawable(y); }

  // Grid lines, tick labels, axis labels and the frame.
  void axes();
  // One polyline through the drawable points; a gap in the data breaks the line. `attrs` are
  // added to each polyline (e.g. data-* attributes describing the series).
  void line(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& css_class,
            const SvgAttrs& attrs = {});
  // A circle mark at (x, y) when drawable; returns whether it was drawn.
  bool point(double x, double y, double radius, const std::string& css_class, const SvgAttrs& attrs = {});
  // A vertical marker line across the plot area at data x.
  void vline(double x, const std::string& css_class, const std::string& label);
  // A legend row at the top right: (css class of the swatch, text) pairs.
  void legend(const std::vector<std::pair<std::string, std::string>>& items);

  const Axis& x_axis() const { return x_; }
  const Axis& y_axis() const { return y_; }
  SvgWriter& svg() { return svg_; }

 private:
  SvgWriter& svg_;
  double left_, top_, width_, height_;
  Axis x_, y_;
};

}  // namespace namk
