// The report's pieces on hand-made inputs: SVG escaping and number formats, axis ticks, the
// training log reader's messages, the audio measurements against closed forms, the composer's
// data attributes, and --quiet's silence.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>

#include "base/error.h"
#include "report/analysis.h"
#include "report/plot.h"
#include "report/report_html.h"
#include "report/svg.h"
#include "train/progress.h"
#include "tests/test_temp_path.h"

using namespace namk;

namespace {

std::string temp_file(const char* name, const std::string& text) {
  const auto p = test::temp_path(name);
  std::ofstream(p) << text;
  return p.string();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + 1)) ++n;
  return n;
}

std::vector<float> sine(double hz, double amplitude, int rate, Index n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (Index t = 0; t < n; ++t)
    x[static_cast<size_t>(t)] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(t) / rate));
  return x;
}

}  // namespace

TEST_CASE("svg: text and attributes are escaped, numbers written short") {
  CHECK(escape_xml("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  CHECK(svg_coord(12.0) == "12");
  CHECK(svg_coord(12.04) == "12");
  CHECK(svg_coord(-0.04) == "0");
  CHECK(svg_coord(3.25) == "3.2");  // round half to even on the binary value: 3.25 is exact
  CHECK(svg_value(0.0123456789012) == "0.0123456789");
  CHECK(svg_value(std::nan("")) == "nan");
  SvgWriter svg(100, 50, "a & b");
  svg.open("g", {{"class", "x\"y"}});
  svg.element("circle", {{"data-knobs", "gain=1 <tone>"}});
  svg.text(1, 2, "5 < 6");
  const std::string out = svg.finish();  // closes the open group
  CHECK(out.find("<title>a &amp; b</title>") != std::string::npos);
  CHECK(out.find("class=\"x&quot;y\"") != std::string::npos);
  CHECK(out.find("data-knobs=\"gain=1 &lt;tone&gt;\"") != std::string::npos);
  CHECK(out.find(">5 &lt; 6</text></g></svg>") != std::string::npos);
}

TEST_CASE("plot: axes widen to round values and ticks fall on 1-2-5 steps") {
  const Axis lin = linear_axis(0.3, 9.6, "x");
  CHECK(lin.lo == 0);
  CHECK(lin.hi == 10);
  CHECK(lin.ticks() == std::vector<double>{0, 2, 4, 6, 8, 10});
  const Axis log = log_axis(0.0031, 0.47, "y");
  CHECK(log.lo == doctest::Approx(0.002));
  CHECK(log.hi == doctest::Approx(0.5));
  const std::vector<double> fine = log.ticks();  // 0.002 0.005 0.01 0.02 0.05 0.1 0.2 0.5
  REQUIRE(fine.size() == 8);
  CHECK(fine[1] == doctest::Approx(0.005));
  CHECK(fine[7] == doctest::Approx(0.5));
  const Axis wide = log_axis(1e-4, 0.9, "y");  // four decades: one tick per decade
  const std::vector<double> decades = wide.ticks();
  REQUIRE(decades.size() == 5);
  CHECK(decades[0] == doctest::Approx(1e-4));
  CHECK(decades[4] == doctest::Approx(1));
  CHECK(wide.unit(1e-4) == doctest::Approx(0));
  CHECK(wide.unit(1) == doctest::Approx(1));
  CHECK(!wide.drawable(0));
  CHECK(!wide.drawable(std::nan("")));
  CHECK(tick_label(20000) == "20k");
  CHECK(tick_label(0.001) == "0.001");
  CHECK(tick_label(0.25) == "0.25");
  const Axis flat = linear_axis(5, 5, "x");  // one value: still a usable range around it
  CHECK(flat.lo < 5);
  CHECK(flat.hi > 5);
}

TEST_CASE("plot: undrawable points break the line instead of being clamped") {
  SvgWriter svg(200, 100, "t");
  PlotArea plot(svg, 0, 0, 200, 100, linear_axis(0, 4, ""), log_axis(0.01, 1, ""));
  plot.line({0, 1, 2, 3, 4}, {0.1, 0.2, 0.0, 0.5, 1.0}, "s");
  const std::string out = svg.finish();
  CHECK(count(out, "<polyline") == 2);
}

TEST_CASE("read_training_log: rows in order, malformed rows name the file, line and column") {
  const std::string good = temp_file("namk_log_good.csv",
      "epoch,train_loss,validation_esr,best_validation_esr,lr,elapsed_s,samples_per_s,skipped_steps\n"
      "1,0.5,0.4,0.4,0.005,1.5,1000,0\n2,0.3,0.2,0.2,0.0044,3.0,1100,0\n");
  const std::vector<EpochRow> rows = read_training_log(good);
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].epoch == 2);
  CHECK(rows[1].validation_esr == 0.2);
  CHECK(rows[1].samples_per_s == 1100);
  const std::string bad = temp_file("namk_log_bad.csv",
      "epoch,train_loss,validation_esr,best_validation_esr,lr,elapsed_s,samples_per_s,skipped_steps\n1,0.5,x,0.4\n");
  CHECK_THROWS_WITH_AS(read_training_log(bad), doctest::Contains("line 2, column 3"), InputError);
  const std::string header = temp_file("namk_log_header.csv", "time,loss\n");
  CHECK_THROWS_WITH_AS(read_training_log(header), doctest::Contains("the header train writes"), InputError);
}

TEST_CASE("analysis: a sine's level, spectrum peak and centroid") {
  const int rate = 48000;
  const std::vector<float> x = sine(1000, 0.5, rate, rate);
  CHECK(rms_db(x) == doctest::Approx(20 * std::log10(0.5 / std::sqrt(2.0))).epsilon(1e-3));
  const Spectrum s = welch_spectrum(x, rate);
  REQUIRE(s.freq_hz.size() == 2049);
  const size_t peak = static_cast<size_t>(std::max_element(s.power.begin(), s.power.end()) - s.power.begin());
  CHECK(std::abs(s.freq_hz[peak] - 1000) < rate / 4096.0);
  CHECK(spectral_centroid(s) == doctest::Approx(1000).epsilon(0.01));
  // Two sines of equal amplitude: the centroid lies halfway.
  std::vector<float> two = sine(500, 0.3, rate, rate);
  const std::vector<float> high = sine(4500, 0.3, rate, rate);
  for (size_t i = 0; i < two.size(); ++i) two[i] += high[i];
  CHECK(spectral_centroid(welch_spectrum(two, rate)) == doctest::Approx(2500).epsilon(0.01));
}

TEST_CASE("esr_colour: green for small errors, red for large, ordered in between") {
  CHECK(esr_colour(1e-4) == esr_colour(1e-3));
  CHECK(esr_colour(1.0) == esr_colour(0.3));
  CHECK(esr_colour(1e-3).rfind("hsl(130,", 0) == 0);
  CHECK(esr_colour(0.3).rfind("hsl(0,", 0) == 0);
}

TEST_CASE("report_html: one point per epoch, one mark per setting, curves over the knob range") {
  ReportData r;
  r.title = "t <1>";
  r.status = "finished";
  r.knobs = {KnobSpec{"gain", 0, 10, 5, ""}, KnobSpec{"tone", 0, 10, 5, ""}};
  for (int e = 1; e <= 4; ++e) r.epochs.push_back({e, 0.5 / e, 0.4 / e, 0.4 / e, 0.005, 1.0 * e, 1000});
  r.best_epoch = 4;
  r.settings = {{0, {0, 0}, "gain=0 tone=0", false, 0.01}, {1, {5, 5}, "gain=5 tone=5", true, 0.25},
                {2, {10, 10}, "gain=10 tone=10", false, 0.05}};
  KnobResponse k;
  k.knob = r.knobs[0];
  k.x = {0, 5, 10};
  k.level_db = {-20, -15, -10};
  k.centroid_hz = {800, 900, 1000};
  r.responses = {k};
  const std::string html = report_html(r);
  CHECK(html.find("<title>t &lt;1&gt;</title>") != std::string::npos);
  CHECK(count(html, "class=\"epoch-pt\"") == 4);
  CHECK(count(html, "best-ring") >= 1);
  CHECK(count(html, "class=\"setting-mark") == 3);
  CHECK(count(html, "data-esr=\"0.25\"") == 2);  // the bar and the map mark
  CHECK(count(html, "class=\"map-mark") == 3);
  CHECK(count(html, "data-x-min=\"0\" data-x-max=\"10\"") == 2);
  CHECK(html.find("<script") == std::string::npos);
  r.epochs.clear();
  CHECK(report_html(r).find("No training log beside the model") != std::string::npos);
}

TEST_CASE("progress: --quiet prints warnings only, and the progress lines carry the run ETA") {
  std::FILE* f = std::tmpfile();
  REQUIRE(f);
  Progress quiet(Progress::Mode::Quiet, f);
  quiet.info("dataset summary");
  quiet.begin_epoch(0, 3, 4);
  quiet.step(4, 0.1, 100);
  quiet.end_epoch("epoch 1/3 ...");
  quiet.message("warning: something");
  Progress lines(Progress::Mode::Lines, f);
  lines.begin_epoch(0, 3, 4);
  lines.step(4, 0.1, 100);
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text += static_cast<char>(c);
  std::fclose(f);
  CHECK(text.find("dataset summary") == std::string::npos);
  CHECK(text.find("epoch 1/3 ...") == std::string::npos);
  CHECK(text.find("warning: something\n") == 0);
  CHECK(text.find("epoch 1/3 step 4/4") != std::string::npos);
  CHECK(text.find("(run ") != std::string::npos);
}
