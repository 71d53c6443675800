// See analysis.h.
#include "report/analysis.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "core/kernels/fft.h"
#include "train/predictor.h"

namespace namk {

namespace {

constexpr double kComparisonSeconds = 5;  // audio analysed for a comparison's spectrum
constexpr double kExcerptSeconds = 0.03;  // the waveform excerpt: a few periods of a low note
constexpr double kSweepSeconds = 2;       // input run through the model at each swept value
constexpr int kBands = 160;               // log-spaced spectrum bands drawn per comparison
constexpr double kLowestHz = 20;

std::string format_knob_value(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// The segment that measures an entry: its validation segment, else its test recording, else its
// training audio (a dataset without validation still gets a report).
const Segment* segment_of(const KnobDataset& data, int entry) {
  for (const auto* split : {&data.validation, &data.test, &data.train})
    for (const Segment& s : *split)
      if (s.entry == entry) return &s;
  return nullptr;
}

// The first `seconds` of segment s (all of it when shorter).
BatchItem head(const KnobDataset& data, const Segment& s, double seconds) {
  const Index n = std::min<Index>(s.length, static_cast<Index>(seconds * data.sample_rate));
  return data.item(s, 0, std::max<Index>(n, 1));
}

std::vector<float> predict(const Model& model, int threads, const BatchItem& item, std::span<const double> knobs) {
  Predictor predictor(model, threads);
  std::vector<float> out(item.y.size());
  predictor.run(item.x, knobs, out);
  return out;
}

// Mean power over log-spaced bands from kLowestHz to Nyquist, in dB; empty bands are skipped.
void log_bands(const Spectrum& s, std::vector<double>& freq, std::vector<double>& db) {
  freq.clear();
  db.clear();
  if (s.freq_hz.size() < 2) return;
  const double top = s.freq_hz.back(), ratio = std::pow(top / kLowestHz, 1.0 / kBands);
  size_t k = 1;
  for (int b = 0; b < kBands; ++b) {
    const double lo = kLowestHz * std::pow(ratio, b), hi = lo * ratio;
    double sum = 0;
    int count = 0;
    while (k < s.freq_hz.size() && s.freq_hz[k] < lo) ++k;
    for (size_t j = k; j < s.freq_hz.size() && s.freq_hz[j] < hi; ++j, ++count) sum += s.power[j];
    if (count == 0) continue;
    freq.push_back(std::sqrt(lo * hi));
    db.push_back(10 * std::log10(sum / count + 1e-30));
  }
}

}  // namespace

std::vector<SettingResult> setting_results(const KnobDataset& data, const EvalResult& validation,
                                           const EvalResult& test) {
  std::vector<SettingResult> out;
  for (const EvalResult* r : {&validation, &test})
    for (const EntryEsr& e : r->entries)
      out.push_back({e.entry, e.knobs, knob_label(data, e.knobs), r == &test, e.esr});
  return out;
}

Spectrum welch_spectrum(std::span<const float> x, int sample_rate, Index frame) {
  const Index n = static_cast<Index>(x.size());
  const Index hop = frame / 2, count = std::max<Index>(1, (n - frame) / hop + 1);
  Mat frames = Mat::Zero(frame, count), spectrum(2 * (frame / 2 + 1), count);
  for (Index f = 0; f < count; ++f)
    for (Index t = 0; t < frame && f * hop + t < n; ++t) {
      const double w = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * static_cast<double>(t) / static_cast<double>(frame));
      frames(t, f) = static_cast<Scalar>(w * x[static_cast<size_t>(f * hop + t)]);
    }
  rfft_forward(frames, spectrum);
  Spectrum s;
  for (Index k = 0; k <= frame / 2; ++k) {
    double p = 0;
    for (Index f = 0; f < count; ++f) {
      const double re = spectrum(2 * k, f), im = spectrum(2 * k + 1, f);
      p += re * re + im * im;
    }
    s.freq_hz.push_back(static_cast<double>(k) * sample_rate / static_cast<double>(frame));
    s.power.push_back(p / static_cast<double>(count));
  }
  return s;
}

double spectral_centroid(const Spectrum& s) {
  double weighted = 0, total = 0;
  for (size_t k = 0; k < s.power.size(); ++k) {
    weighted += s.freq_hz[k] * s.power[k];
    total += s.power[k];
  }
  return total > 0 ? weighted / total : 0;
}

std::vector<Comparison> compare_best_worst(const Model& model, const KnobDataset& data,
                                           const std::vector<SettingResult>& settings, int threads) {
  std::vector<Comparison> out;
  if (settings.empty()) return out;
  const auto [best, worst] = std::minmax_element(settings.begin(), settings.end(),
                                                 [](const SettingResult& a, const SettingResult& b) { return a.esr < b.esr; });
  for (const SettingResult* s : {&*best, &*worst}) {
    if (s == &*worst && worst == best) break;
    const Segment* seg = segment_of(data, s->entry);
    if (!seg) continue;
    const BatchItem item = head(data, *seg, kComparisonSeconds);
    const std::vector<float> model_out = predict(model, threads, item, item.knobs);
    Comparison c;
    c.title = std::string(s == &*best ? "Best" : "Worst") + " setting: " + s->label;
    c.setting = *s;
    c.sample_rate = data.sample_rate;
    // The excerpt starts a little before the loudest target sample, where the waveform is clearest.
    const size_t n = item.y.size(), len = std::min(n, static_cast<size_t>(kExcerptSeconds * data.sample_rate));
    size_t peak = 0;
    for (size_t i = 0; i < n; ++i)
      if (std::abs(item.y[i]) > std::abs(item.y[peak])) peak = i;
    const size_t start = std::min(n - len, peak > len / 3 ? peak - len / 3 : 0);
    c.excerpt_start_s = static_cast<double>(start) / data.sample_rate;
    for (size_t i = start; i < start + len; ++i) {
      c.target_wave.push_back(item.y[i]);
      c.model_wave.push_back(model_out[i]);
    }
    log_bands(welch_spectrum(item.y, data.sample_rate), c.freq_hz, c.target_db);
    std::vector<double> unused;
    log_bands(welch_spectrum(model_out, data.sample_rate), unused, c.model_db);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<KnobResponse> knob_responses(const Model& model, const KnobDataset& data, int threads, int points) {
  std::vector<KnobResponse> out;
  const size_t knobs = data.knobs.size();
  for (size_t k = 0; k < knobs; ++k) {
    // The slice: the recorded values of the other knobs nearest their defaults (normalised
    // distance), so the amp's own recordings can sit on the swept curve.
    auto distance = [&](const std::vector<double>& v) {
      double d = 0;
      for (size_t j = 0; j < knobs; ++j)
        if (j != k) d += std::abs(data.knobs[j].normalise(v[j]) - data.knobs[j].normalise(data.knobs[j].default_value));
      return d;
    };
    const LoadedEntry* nearest = nullptr;
    for (const LoadedEntry& e : data.entries)
      if (!nearest || distance(e.spec.knob_values) < distance(nearest->spec.knob_values)) nearest = &e;
    if (!nearest) break;
    std::vector<double> fixed = nearest->spec.knob_values;
    std::vector<int> slice;
    for (size_t e = 0; e < data.entries.size(); ++e) {
      bool same = true;
      for (size_t j = 0; j < knobs; ++j)
        if (j != k && data.entries[e].spec.knob_values[j] != fixed[j]) same = false;
      if (same) slice.push_back(static_cast<int>(e));
    }
    KnobResponse r;
    r.knob = data.knobs[k];
    for (size_t j = 0; j < knobs; ++j)
      if (j != k) r.others += (r.others.empty() ? "" : " ") + data.knobs[j].name + "=" + format_knob_value(fixed[j]);
    const Segment* reference = segment_of(data, slice.front());
    if (!reference) continue;
    const BatchItem input = head(data, *reference, kSweepSeconds);
    for (int i = 0; i < points; ++i) {
      std::vector<double> knob_values = fixed;
      knob_values[k] = r.knob.min + (r.knob.max - r.knob.min) * i / std::max(1, points - 1);
      const std::vector<float> y = predict(model, threads, input, knob_values);
      r.x.push_back(knob_values[k]);
      r.level_db.push_back(rms_db(y));
      r.centroid_hz.push_back(spectral_centroid(welch_spectrum(y, data.sample_rate)));
    }
    for (int e : slice) {
      const Segment* seg = segment_of(data, e);
      if (!seg) continue;
      const BatchItem item = head(data, *seg, kSweepSeconds);
      const std::vector<float> y = predict(model, threads, item, item.knobs);
      KnobResponse::Recorded p;
      p.x = data.entries[static_cast<size_t>(e)].spec.knob_values[k];
      p.level_db = rms_db(item.y);
      p.centroid_hz = spectral_centroid(welch_spectrum(item.y, data.sample_rate));
      p.model_level_db = rms_db(y);
      p.model_centroid_hz = spectral_centroid(welch_spectrum(y, data.sample_rate));
      for (const Segment& t : data.test) p.held_out |= t.entry == e;
      p.label = knob_label(data, data.entries[static_cast<size_t>(e)].spec.knob_values);
      r.recorded.push_back(p);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace namk
