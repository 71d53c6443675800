// See svg.h.
#include "report/svg.h"

#include <cmath>
#include <cstdio>

namespace namk {

std::string escape_xml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string svg_coord(double v) {
  if (!std::isfinite(v)) return "0";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", v);
  std::string s = text;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  if (s == "-0") s = "0";
  return s;
}

std::string svg_value(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

SvgWriter::SvgWriter(double width, double height, const std::string& title, const std::string& css_class)
    : width_(width), height_(height) {
  // viewBox plus width 100% in CSS: the chart scales with the page and prints at any size.
  out_ = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" + escape_xml(css_class) + "\" viewBox=\"0 0 " +
         svg_coord(width) + " " + svg_coord(height) + "\" role=\"img\"><title>" + escape_xml(title) + "</title>";
}

void SvgWriter::attributes(const SvgAttrs& attrs) {
  for (const auto& [name, value] : attrs) out_ += " " + name + "=\"" + escape_xml(value) + "\"";
}

void SvgWriter::element(const std::string& tag, const SvgAttrs& attrs) {
  out_ += "<" + tag;
  attributes(attrs);
  out_ += "/>";
}

void SvgWriter::text(double x, double y, const std::string& text, const SvgAttrs& attrs) {
  out_ += "<text x=\"" + svg_coord(x) + "\" y=\"" + svg_coord(y) + "\"";
  attributes(attrs);
  out_ += ">" + escape_xml(text) + "</text>";
}

void SvgWriter::open(const std::string& tag, const SvgAttrs& attrs) {
  out_ += "<" + tag;
  attributes(attrs);
  out_ += ">";
  open_.push_back(tag);
}

void SvgWriter::close() {
  if (open_.empty()) return;
  out_ += "</" + open_.back() + ">";
  open_.pop_back();
}

std::string SvgWriter::finish() {
  while (!open_.empty()) close();
  return out_ + "</svg>";
}

}  // namespace namk
