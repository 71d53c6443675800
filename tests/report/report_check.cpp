// Reads back a report.html and checks the numbers it draws against independent sources, and checks
// a browser's screenshot of it. Used by report_test.sh.
//   report_check html REPORT EVAL_JSON DATASET_JSON EPOCHS
//     EPOCHS points on the validation ESR curve (data-epoch 1..EPOCHS; 0: no training curves at all);
//     one .setting-mark per validation/test row of `nam-knobs eval --json`, carrying its ESR;
//     a level and a centroid curve for each knob of DATASET_JSON from its min to its max.
//   report_check png SHOT WIDTH HEIGHT BLANK_SHOT
//     SHOT is a PNG of WIDTH x HEIGHT (IHDR) and at least 8 times the bytes of BLANK_SHOT, the same
//     browser's screenshot of an empty page at the same size: a blank or failed render compresses
//     to about BLANK_SHOT's size, a page of charts and text to many times it.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/json.h"

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  if (!ok) {
    std::printf("FAIL: %s\n", what.c_str());
    ++failures;
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Element {
  std::string tag;
  std::map<std::string, std::string> attrs;
  bool has_class(const std::string& c) const {
    auto it = attrs.find("class");
    if (it == attrs.end()) return false;
    std::istringstream words(it->second);
    for (std::string w; words >> w;)
      if (w == c) return true;
    return false;
  }
  std::string get(const std::string& k) const {
    auto it = attrs.find(k);
    return it == attrs.end() ? "" : it->second;
  }
};

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t end = s.find(';', i);
    const std::string name = s.substr(i + 1, end - i - 1);
    out += name == "amp" ? "&" : name == "lt" ? "<" : name == "gt" ? ">" : name == "quot" ? "\"" : name == "#39" ? "'" : "?";
    i = end;
  }
  return out;
}

// Start tags and their attributes (name="value"); enough for the report, which quotes every value.
std::vector<Element> parse_tags(const std::string& html) {
  std::vector<Element> out;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    ++i;
    if (i >= html.size() || !std::isalpha(static_cast<unsigned char>(html[i]))) continue;
    Element e;
    while (i < html.size() && (std::isalnum(static_cast<unsigned char>(html[i])))) e.tag += html[i++];
    for (;;) {
      while (i < html.size() && std::isspace(static_cast<unsigned char>(html[i]))) ++i;
      if (i >= html.size() || html[i] == '>' || html[i] == '/') break;
      std::string name;
      while (i < html.size() && html[i] != '=' && html[i] != '>' && !std::isspace(static_cast<unsigned char>(html[i])))
        name += html[i++];
      if (i < html.size() && html[i] == '=' && html[i + 1] == '"') {
        const size_t end = html.find('"', i + 2);
        e.attrs[name] = unescape(html.substr(i + 2, end - i - 2));
        i = end + 1;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool close(double a, double b, double relative) { return std::abs(a - b) <= relative * std::abs(b) + 1e-9; }

int check_html(const std::string& report, const std::string& eval_json, const std::string& dataset_json, int epochs) {
  const std::string html = read_file(report);
  check(html.rfind("<!DOCTYPE html>", 0) == 0, "the page starts with <!DOCTYPE html>");
  check(html.find("<script") == std::string::npos, "no scripts");
  check(html.find("http://") == html.find("http://www.w3.org/2000/svg") && html.find("https://") == std::string::npos,
        "no references outside the page (only the SVG namespace)");
  const std::vector<Element> tags = parse_tags(html);

  // The validation ESR curve: one point per epoch, in order.
  std::vector<const Element*> points;
  for (const Element& e : tags)
    if (e.has_class("epoch-pt")) points.push_back(&e);
  check(static_cast<int>(points.size()) == epochs,
        "ESR curve points: expected " + std::to_string(epochs) + ", found " + std::to_string(points.size()));
  for (size_t i = 0; i < points.size(); ++i)
    check(points[i]->get("data-epoch") == std::to_string(i + 1), "point " + std::to_string(i) + " is epoch " + std::to_string(i + 1));
  if (epochs == 0) check(html.find("No training log beside the model") != std::string::npos, "says there is no training log");

  // One mark per measured setting, carrying the ESR eval prints.
  std::vector<const Element*> marks;
  for (const Element& e : tags)
    if (e.has_class("setting-mark")) marks.push_back(&e);
  int rows = 0;
  for (const namk::Json& row : namk::Json::parse_file(eval_json)["entries"].items()) {
    const std::string split = row["split"].string(), knobs = row["knobs"].string();
    if (split == "train") continue;
    ++rows;
    int found = 0;
    for (const Element* m : marks)
      if (m->get("data-knobs") == knobs && m->get("data-split") == split) {
        ++found;
        const double drawn = std::stod(m->get("data-esr")), printed = row["esr"].number();
        // eval prints 6 digits and adds its epsilon per sample; the trainer's is per setting.
        check(close(drawn, printed, 1e-4), knobs + ": ESR drawn " + m->get("data-esr") + ", eval prints " +
                                               std::to_string(printed));
      }
    check(found == 1, knobs + " (" + split + "): " + std::to_string(found) + " marks, expected 1");
  }
  check(static_cast<int>(marks.size()) == rows && rows > 0,
        "setting marks: " + std::to_string(marks.size()) + ", eval rows: " + std::to_string(rows));

  // Knob responses over each knob's declared range.
  for (const namk::Json& knob : namk::Json::parse_file(dataset_json)["knobs"].items()) {
    const std::string name = knob["name"].string();
    for (const char* series : {"level_db", "centroid_hz"}) {
      int curves = 0;
      for (const Element& e : tags)
        if (e.tag == "polyline" && e.get("data-knob") == name && e.get("data-series") == series) {
          ++curves;
          check(close(std::stod(e.get("data-x-min")), knob["min"].number(), 1e-9) &&
                    close(std::stod(e.get("data-x-max")), knob["max"].number(), 1e-9),
                name + " " + series + ": the curve spans " + e.get("data-x-min") + " to " + e.get("data-x-max"));
          // Every swept value drawn (an unbroken line): as many vertices as points.
          const std::string pts = e.get("points");
          const long vertices = std::count(pts.begin(), pts.end(), ',');
          check(vertices == std::stol(e.get("data-points")) && vertices >= 10,
                name + " " + series + ": " + std::to_string(vertices) + " vertices drawn of " + e.get("data-points"));
        }
      check(curves == 1, name + " " + series + ": " + std::to_string(curves) + " curves, expected 1");
    }
  }
  return failures;
}

unsigned be32(const std::string& s, size_t at) {
  unsigned v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

int check_png(const std::string& shot, unsigned width, unsigned height, const std::string& blank) {
  const std::string png = read_file(shot), empty = read_file(blank);
  check(png.size() > 33 && png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && png.compare(12, 4, "IHDR") == 0,
        shot + " is a PNG");
  if (failures) return failures;
  check(be32(png, 16) == width && be32(png, 20) == height,
        "size " + std::to_string(be32(png, 16)) + "x" + std::to_string(be32(png, 20)) + ", expected " +
            std::to_string(width) + "x" + std::to_string(height));
  check(!empty.empty() && png.size() >= 8 * empty.size(),
        "not blank: " + std::to_string(png.size()) + " bytes against " + std::to_string(empty.size()) +
            " for an empty page");
  std::printf("%s: %ux%u, %zu bytes (empty page: %zu bytes)\n", shot.c_str(), width, height, png.size(), empty.size());
  return failures;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::vector<std::string> a(argv + 1, argv + argc);
    if (a.size() == 5 && a[0] == "html") return check_html(a[1], a[2], a[3], std::stoi(a[4])) ? 1 : 0;
    if (a.size() == 5 && a[0] == "png")
      return check_png(a[1], static_cast<unsigned>(std::stoul(a[2])), static_cast<unsigned>(std::stoul(a[3])), a[4]) ? 1 : 0;
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: report_check html REPORT EVAL_JSON DATASET_JSON EPOCHS | png SHOT W H BLANK\n");
  return 2;
}
