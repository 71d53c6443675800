// See report_html.h. One function per section; each chart is its own <svg> of fixed viewBox that
// CSS scales to the page width.
#include "report/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/plot.h"
#include "report/svg.h"

namespace namk {

namespace {

constexpr double kEsrGreen = 1e-3, kEsrRed = 0.3;

const char* kStyle = R"CSS(
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1d1d1f;
       background: #f6f6f4; margin: 0; }
main { max-width: 1120px; margin: 0 auto; padding: 20px 28px 40px; }
h1 { font-size: 26px; margin: 8px 0 2px; }
h2 { font-size: 20px; margin: 28px 0 6px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 12px 0 2px; }
p.lead { margin: 0 0 10px; color: #444; }
.status { display: inline-block; padding: 2px 10px; border-radius: 10px; background: #e4efe4; color: #1f5f1f;
          font-weight: 600; font-size: 13px; }
.status.running { background: #fff1d6; color: #7a4b00; }
.note { color: #555; font-size: 13.5px; margin: 4px 0 8px; }
.card { background: #fff; border: 1px solid #e2e2e2; border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.row > .card { margin: 0; }
svg.chart { width: 100%; height: auto; display: block; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: #333; }
svg .axis-label { font-size: 12.5px; fill: #222; }
svg .legend { font-size: 12.5px; }
svg .grid { stroke: #ececec; }
svg .frame { fill: none; stroke: #bbb; }
svg polyline { fill: none; stroke-width: 2; stroke-linejoin: round; }
.s-loss { stroke: #4c78a8; }
.s-val { stroke: #e45756; }
.s-lr { stroke: #6f6f6f; }
.s-target { stroke: #222; stroke-width: 1.6; }
.s-model { stroke: #f28e2b; stroke-width: 1.6; }
.s-model-sweep { stroke: #4c78a8; stroke-width: 2.4; }
.s-recorded { stroke: #222; stroke-width: 2; }
.epoch-pt { fill: #e45756; }
.best-ring { fill: none; stroke: #2a9d3a; stroke-width: 2.5; }
.best-line { stroke: #2a9d3a; stroke-dasharray: 5 4; stroke-width: 1.5; }
.best-line-label { fill: #2a7d32; font-weight: 600; }
.rec-pt { fill: #fff; stroke: #222; stroke-width: 2; }
.s-error { stroke: #f28e2b; stroke-width: 1.5; }
.model-tick { stroke: #f28e2b; stroke-width: 3; }
.rec-pt.held-out { fill: #222; }
.map-mark { stroke: #fff; stroke-width: 1.5; }
.map-mark.held-out, .setting-mark.held-out { stroke: #111; stroke-width: 3; }
.map-label { font-size: 11px; fill: #222; }
.bar-label { font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 3px; vertical-align: -1px; margin-right: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; font-size: 14px; }
dl.facts dt { color: #666; }
dl.facts dd { margin: 0; word-break: break-word; }
code { font-size: 13px; }
@media (max-width: 800px) { .row { grid-template-columns: 1fr; } }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .card { border: none; padding: 0; break-inside: avoid; }
  h2 { break-after: avoid; }
}
)CSS";

std::string esc(const std::string& s) { return escape_xml(s); }

std::string fmt(const char* format, double v) {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// "0.0123" for the page; data attributes carry full precision.
std::string esr_text(double esr) { return std::isfinite(esr) ? fmt(esr < 0.001 ? "%.2e" : "%.4f", esr) : "n/a"; }

std::string facts_html(const ReportData& r) {
  std::string out = "<dl class=\"facts\">";
  for (const auto& [k, v] : r.facts) out += "<dt>" + esc(k) + "</dt><dd>" + esc(v) + "</dd>";
  return out + "</dl>";
}

std::string training_html(const ReportData& r) {
  std::string out = "<h2>Training</h2>";
  if (r.epochs.empty())
    return out + "<p class=\"note\">No training log beside the model: the training curves are left out.</p>";
  std::vector<double> epoch, loss, val, lr;
  for (const EpochRow& e : r.epochs) {
    epoch.push_back(static_cast<double>(e.epoch));
    loss.push_back(e.train_loss);
    val.push_back(e.validation_esr);
    lr.push_back(e.lr);
  }
  std::vector<double> both = loss;
  both.insert(both.end(), val.begin(), val.end());
  const auto [lo, hi] = value_range(both, true);
  const Axis x = linear_axis(std::min(1.0, epoch.front()), std::max(epoch.back(), 2.0), "epoch");
  out += "<p class=\"lead\">Lower is better. The validation ESR is measured every epoch on audio the model "
         "never trains on; the green line marks the best epoch, whose weights are saved as the model.</p>";
  out += "<div class=\"card\">";
  {
    SvgWriter svg(1000, 330, "training loss and validation ESR per epoch");
    PlotArea plot(svg, 80, 30, 890, 250, x, log_axis(lo, hi, "loss / ESR (log scale)"));
    plot.axes();
    plot.line(epoch, loss, "s-loss", {{"data-series", "train_loss"}});
    plot.line(epoch, val, "s-val", {{"data-series", "validation_esr"}});
    if (r.best_epoch > 0) plot.vline(static_cast<double>(r.best_epoch), "best-line", "best epoch " + std::to_string(r.best_epoch));
    for (size_t i = 0; i < epoch.size(); ++i) {
      plot.point(epoch[i], val[i], 3.5, "epoch-pt",
                 {{"data-epoch", svg_value(epoch[i])}, {"data-esr", svg_value(val[i])}});
      if (static_cast<long long>(epoch[i]) == r.best_epoch) plot.point(epoch[i], val[i], 8, "best-ring");
    }
    plot.legend({{"s-loss", "training loss"}, {"s-val", "validation ESR"}});
    out += svg.finish();
  }
  {
    const auto [llo, lhi] = value_range(lr, true);
    SvgWriter svg(1000, 170, "learning rate per epoch");
    PlotArea plot(svg, 80, 24, 890, 100, x, log_axis(llo, lhi, "learning rate"));
    plot.axes();
    plot.line(epoch, lr, "s-lr", {{"data-series", "lr"}});
    plot.legend({{"s-lr", "learning rate"}});
    out += svg.finish();
  }
  return out + "</div>";
}

// Held-out settings are drawn as diamonds, trained ones as circles.
void setting_mark(SvgWriter& svg, double cx, double cy, double size, const SettingResult& s, const std::string& cls) {
  SvgAttrs a = {{"class", cls + (s.held_out ? " held-out" : "")}, {"fill", esr_colour(s.esr)},
                {"data-knobs", s.label}, {"data-split", s.held_out ? "test" : "validation"},
                {"data-esr", svg_value(s.esr)}};
  if (s.held_out) {
    const double d = size * 1.25;
    a.insert(a.begin(), {"points", svg_coord(cx) + "," + svg_coord(cy - d) + " " + svg_coord(cx + d) + "," +
                                      svg_coord(cy) + " " + svg_coord(cx) + "," + svg_coord(cy + d) + " " +
                                      svg_coord(cx - d) + "," + svg_coord(cy)});
    svg.element("polygon", a);
  } else {
    a.insert(a.begin(), {{"cx", svg_coord(cx)}, {"cy", svg_coord(cy)}, {"r", svg_coord(size)}});
    svg.element("circle", a);
  }
}

std::string colour_legend() {
  std::string out = "<p class=\"note\">Colour = ESR: ";
  for (double e : {0.001, 0.01, 0.03, 0.1, 0.3})
    out += "<span class=\"swatch\" style=\"background:" + esr_colour(e) + "\"></span>" + tick_label(e) + " &nbsp;";
  return out + "&nbsp; circle = trained setting (validation audio), diamond = held-out setting (never trained on).</p>";
}

std::string knob_map(const ReportData& r) {
  const KnobSpec& kx = r.knobs[0];
  const bool two = r.knobs.size() == 2;
  const double height = two ? 460 : 300;
  SvgWriter svg(1000, height, two ? "ESR over the knob grid" : "ESR across the knob");
  std::vector<double> esrs;
  for (const SettingResult& s : r.settings) esrs.push_back(s.esr);
  const double pad_x = (kx.max - kx.min) * 0.06;
  Axis x{kx.min - pad_x, kx.max + pad_x, false, kx.name + (kx.units.empty() ? "" : " (" + kx.units + ")")};
  Axis y;
  if (two) {
    const KnobSpec& ky = r.knobs[1];
    const double pad_y = (ky.max - ky.min) * 0.08;
    y = {ky.min - pad_y, ky.max + pad_y, false, ky.name + (ky.units.empty() ? "" : " (" + ky.units + ")")};
  } else {
    const auto [lo, hi] = value_range(esrs, true);
    y = log_axis(lo, hi, "ESR (log scale)");
  }
  PlotArea plot(svg, 80, 20, 890, height - 80, x, y);
  plot.axes();
  for (const SettingResult& s : r.settings) {
    const double vy = two ? s.knobs[1] : s.esr;
    if (!plot.drawable(s.knobs[0], vy)) continue;
    const double cx = plot.px(s.knobs[0]), cy = plot.py(vy);
    setting_mark(svg, cx, cy, two ? 15 : 8, s, "map-mark");
    if (two) svg.text(cx + 22, cy + 4, esr_text(s.esr), {{"class", "map-label"}});
  }
  return svg.finish();
}

// Every setting as a bar, sorted from best to worst: the chart the tests read (one .setting-mark
// per setting).
std::string esr_bars(const ReportData& r) {
  std::vector<const SettingResult*> sorted;
  std::vector<double> esrs;
  for (const SettingResult& s : r.settings) {
    sorted.push_back(&s);
    esrs.push_back(s.esr);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->esr < b->esr; });
  const double row = 22, top = 28, height = top + row * static_cast<double>(sorted.size()) + 50;
  auto [lo, hi] = value_range(esrs, true);
  SvgWriter svg(1000, height, "ESR per knob setting, best first");
  PlotArea plot(svg, 230, top, 700, row * static_cast<double>(sorted.size()), log_axis(lo / 2, hi, "ESR (log scale)"),
                Axis{0, 1, false, "", false});
  plot.axes();
  const double base = plot.px(plot.x_axis().lo);
  for (size_t i = 0; i < sorted.size(); ++i) {
    const SettingResult& s = *sorted[i];
    const double y = top + row * static_cast<double>(i);
    svg.text(222, y + 15, s.label + (s.held_out ? " (held out)" : ""), {{"class", "bar-label"}, {"text-anchor", "end"}});
    const double end = plot.x_axis().drawable(s.esr) ? plot.px(s.esr) : base;
    svg.element("rect", {{"class", std::string("setting-mark") + (s.held_out ? " held-out" : "")},
                         {"x", svg_coord(base)}, {"y", svg_coord(y + 4)}, {"width", svg_coord(std::max(1.0, end - base))},
                         {"height", svg_coord(row - 8)}, {"fill", esr_colour(s.esr)},
                         {"data-knobs", s.label}, {"data-split", s.held_out ? "test" : "validation"},
                         {"data-esr", svg_value(s.esr)}});
    svg.text(end + 6, y + 15, esr_text(s.esr), {{"class", "bar-label"}});
  }
  return svg.finish();
}

std::string settings_html(const ReportData& r) {
  std::string out = "<h2>Error at each knob setting</h2>";
  out += "<p class=\"lead\">ESR (error-to-signal ratio) of the model against the recording: about 0.01 is hard "
         "to tell apart, 0.1 is audibly different. " + esc(r.settings_note) + "</p>";
  if (r.settings.empty()) return out + "<p class=\"note\">No settings measured yet.</p>";
  out += colour_legend();
  if (r.knobs.size() == 1 || r.knobs.size() == 2)
    out += "<div class=\"card\"><h3>" + std::string(r.knobs.size() == 2 ? "Map of the knob grid" : "ESR across the knob") +
           "</h3>" + knob_map(r) + "</div>";
  out += "<div class=\"card\"><h3>All settings, best first</h3>" + esr_bars(r) + "</div>";
  out += "<div class=\"card\"><table><tr><th>setting</th><th>split</th><th class=\"num\">ESR</th></tr>";
  for (const SettingResult& s : r.settings)
    out += "<tr><td><span class=\"swatch\" style=\"background:" + esr_colour(s.esr) + "\"></span>" + esc(s.label) +
           "</td><td>" + (s.held_out ? "held out (test)" : "trained (validation audio)") + "</td><td class=\"num\">" +
           esr_text(s.esr) + "</td></tr>";
  return out + "</table></div>";
}

std::string comparison_html(const Comparison& c) {
  std::string out = "<h3>" + esc(c.title) + " &mdash; ESR " + esr_text(c.setting.esr) +
                    (c.setting.held_out ? " (held out)" : "") + "</h3><div class=\"row\"><div class=\"card\">";
  {
    std::vector<double> t_ms;
    for (size_t i = 0; i < c.target_wave.size(); ++i)
      t_ms.push_back(1000.0 * (c.excerpt_start_s + static_cast<double>(i) / c.sample_rate));
    std::vector<double> both = c.target_wave;
    both.insert(both.end(), c.model_wave.begin(), c.model_wave.end());
    auto [lo, hi] = value_range(both, false);
    const double m = std::max(std::abs(lo), std::abs(hi));
    SvgWriter svg(560, 300, "waveform excerpt, target and model");
    // The excerpt's own span (not widened to round numbers): the waveform fills the plot.
    const Axis time{t_ms.empty() ? 0 : t_ms.front(), t_ms.size() < 2 ? 1 : t_ms.back(), false, "time (ms)"};
    PlotArea plot(svg, 70, 28, 470, 220, time,
                  linear_axis(-m, m, "amplitude"));
    plot.axes();
    plot.line(t_ms, c.target_wave, "s-target", {{"data-series", "target_wave"}});
    plot.line(t_ms, c.model_wave, "s-model", {{"data-series", "model_wave"}});
    plot.legend({{"s-target", "recording"}, {"s-model", "model"}});
    out += svg.finish();
  }
  out += "</div><div class=\"card\">";
  {
    std::vector<double> both = c.target_db;
    both.insert(both.end(), c.model_db.begin(), c.model_db.end());
    const double top = value_range(both, false).second;
    const double nyquist = c.sample_rate / 2.0;
    SvgWriter svg(560, 300, "magnitude spectrum, target and model");
    Axis fx{20, nyquist, true, "frequency (Hz, log scale)"};
    PlotArea plot(svg, 70, 28, 470, 220, fx, linear_axis(top - 90, top + 5, "level (dB)"));
    plot.axes();
    plot.line(c.freq_hz, c.target_db, "s-target", {{"data-series", "target_spectrum"}});
    plot.line(c.freq_hz, c.model_db, "s-model", {{"data-series", "model_spectrum"}});
    plot.legend({{"s-target", "recording"}, {"s-model", "model"}});
    out += svg.finish();
  }
  return out + "</div></div>";
}

std::string response_chart(const KnobResponse& r, bool level) {
  const std::vector<double>& model = level ? r.level_db : r.centroid_hz;
  std::vector<double> all = model;
  for (const auto& p : r.recorded) all.push_back(level ? p.level_db : p.centroid_hz);
  auto [lo, hi] = value_range(all, false);
  const double pad = std::max((hi - lo) * 0.1, level ? 1.0 : 50.0);
  const std::string name = r.knob.name + (r.knob.units.empty() ? "" : " (" + r.knob.units + ")");
  SvgWriter svg(560, 300, r.knob.name + (level ? ": output level" : ": spectral centroid"));
  PlotArea plot(svg, 76, 28, 464, 220, linear_axis(r.knob.min, r.knob.max, name),
                linear_axis(level ? lo - pad : std::max(0.0, lo - pad), hi + pad,
                            level ? "output level (dB RMS)" : "spectral centroid (Hz)"));
  plot.axes();
  const std::string series = level ? "level_db" : "centroid_hz";
  plot.line(r.x, model, "s-model-sweep",
            {{"data-series", series}, {"data-knob", r.knob.name}, {"data-x-min", svg_value(r.x.front())},
             {"data-x-max", svg_value(r.x.back())}, {"data-points", std::to_string(r.x.size())}});
  plot.vline(r.knob.default_value, "best-line", "default");
  for (const auto& p : r.recorded) {
    const double amp = level ? p.level_db : p.centroid_hz, own = level ? p.model_level_db : p.model_centroid_hz;
    // The model on the same audio: a short tick joined to the amp's dot; its length is the error.
    if (plot.drawable(p.x, amp) && plot.drawable(p.x, own)) {
      const double x = plot.px(p.x), ya = plot.py(amp), ym = plot.py(own);
      plot.svg().element("line", {{"class", "s-error"}, {"x1", svg_coord(x)}, {"x2", svg_coord(x)},
                                  {"y1", svg_coord(ya)}, {"y2", svg_coord(ym)}});
      plot.svg().element("line", {{"class", "model-tick"}, {"x1", svg_coord(x - 7)}, {"x2", svg_coord(x + 7)},
                                  {"y1", svg_coord(ym)}, {"y2", svg_coord(ym)}, {"data-value", svg_value(own)}});
    }
    plot.point(p.x, amp, 5.5, std::string("rec-pt") + (p.held_out ? " held-out" : ""),
               {{"data-knobs", p.label}, {"data-series", series}, {"data-value", svg_value(amp)}});
  }
  plot.legend({{"s-model-sweep", "model, swept"}, {"model-tick", "model at the recorded setting"}, {"s-recorded", "amp"}});
  return svg.finish();
}

std::string audio_html(const ReportData& r) {
  std::string out = "<h2>Recording against model</h2>";
  if (!r.analysis_note.empty()) return out + "<p class=\"note\">" + esc(r.analysis_note) + "</p>";
  out += "<p class=\"lead\">At the best and the worst setting: a few milliseconds of waveform around the loudest "
         "moment, and the spectrum of the whole excerpt (where the lines part, the model's tone differs).</p>";
  for (const Comparison& c : r.comparisons) out += comparison_html(c);
  out += "<h2>Knob response</h2>";
  out += "<p class=\"lead\">Each knob turned across its whole range by the model (blue line), the other knobs "
         "fixed, on the same two seconds of input. The dots are the real amp's recordings at the settings on that "
         "line (filled: held out, never trained on), and the orange tick beside each dot is the model at that "
         "setting on the same audio: the shorter the orange stroke, the closer the model. A held-out take "
         "recorded with other input sits off the line together with its tick. A good model passes through the "
         "dots and moves smoothly between them.</p>";
  for (const KnobResponse& k : r.responses) {
    out += "<h3>" + esc(k.knob.name) + (k.others.empty() ? "" : " &mdash; with " + esc(k.others)) + "</h3>";
    out += "<div class=\"row\"><div class=\"card\">" + response_chart(k, true) + "</div><div class=\"card\">" +
           response_chart(k, false) + "</div></div>";
  }
  return out;
}

}  // namespace

std::string esr_colour(double esr) {
  if (!std::isfinite(esr)) return "#888";
  const double t = std::clamp((std::log10(std::max(esr, 1e-12)) - std::log10(kEsrGreen)) /
                                  (std::log10(kEsrRed) - std::log10(kEsrGreen)), 0.0, 1.0);
  // Hue 130 (green) through 50 (amber) to 0 (red).
  return "hsl(" + fmt("%.0f", 130 * (1 - t)) + ",65%," + fmt("%.0f", 42 + 6 * std::sin(t * 3.14159)) + "%)";
}

std::string report_html(const ReportData& r) {
  const bool running = r.status != "finished";
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>" + esc(r.title) + "</title><style>" + kStyle + "</style></head><body><main>";
  out += "<h1>" + esc(r.title) + "</h1><p><span class=\"status" + std::string(running ? " running" : "") + "\">" +
         esc(r.status) + "</span>" + (running ? " <span class=\"note\">reload the page to see progress</span>" : "") +
         "</p>";
  out += "<div class=\"card\">" + facts_html(r) + "</div>";
  out += training_html(r);
  out += settings_html(r);
  out += audio_html(r);
  out += "<p class=\"note\">Written by nam-knobs. Charts are drawn by its own SVG writer; the page needs no "
         "network and no scripts.</p></main></body></html>\n";
  return out;
}

}  // namespace namk
