// A small SVG writer: elements with escaped attributes appended to one string, numbers written
// short (SVG coordinates need a tenth of a pixel, data attributes need the full value). It knows
// nothing of plots; plot.h draws axes and series with it. No scripts, no external references: the
// output is inlined into a self-contained HTML page.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace namk {

// "a&b" -> "a&amp;b"; safe in text and in double-quoted attribute values.
std::string escape_xml(const std::string& text);
// A coordinate: one decimal, no trailing zeros ("12.5", "3", "-0.1").
std::string svg_coord(double v);
// A value for a data-* attribute: 9 significant digits, "nan"/"inf" spelled out.
std::string svg_value(double v);

using SvgAttrs = std::vector<std::pair<std::string, std::string>>;

class SvgWriter {
 public:
  // width, height in CSS pixels; `title` becomes the image's accessible name (<title>).
  SvgWriter(double width, double height, const std::string& title, const std::string& css_class = "chart");

  // A childless element: <tag a="v" .../>.
  void element(const std::string& tag, const SvgAttrs& attrs);
  // <text ...>text</text>
  void text(double x, double y, const std::string& text, const SvgAttrs& attrs = {});
  // A nested group; every open() needs a close().
  void open(const std::string& tag, const SvgAttrs& attrs = {});
  void close();
  // Finishes the document (closes every group still open) and returns it.
  std::string finish();

  double width() const { return width_; }
  double height() const { return height_; }

 private:
  void attributes(const SvgAttrs& attrs);
  std::string out_;
  std::vector<std::string> open_;
  double width_, height_;
};

}  // namespace namk
