// See knob_dataset.h. Order of work: parse the JSON (all of its errors come before any audio is
// read), read each distinct file once and check it, estimate every pair's first arrival (and with
// "auto" the shared latency), then per entry: sample rates, lengths, trims, delay, segments and
// splits; last, the checks that need the whole picture (delays, no training data left).
#include "data/knob_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "data/alignment.h"
#include "data/audio_cache.h"
#include "data/blips.h"
#include "data/audio_checks.h"

namespace namk {

namespace {

// "auto_per_pair" estimates that differ by more than this many samples are reported (first
// arrivals through one chain agree to a sample; more suggests different chains or a wrong pairing).
constexpr long long kDelayDisagreement = 4;
// The first-arrival estimate may be one sample early by design (alignment.cpp): a stated delay
// one sample past it is not reported as acausal.
constexpr long long kFutureSlack = 1;

std::string samples_and_seconds(long long n, int sample_rate) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld samples (%.3f s)", n, double(n) / sample_rate);
  return buf;
}

class TrackCache {
 public:
  TrackCache(KnobDataset& data, const WarningSink& warn, AudioStorage storage)
      : data_(data), warn_(warn), storage_(storage) {}

  // Reads `path` the first time it is asked for; checks it for `role` once per role.
  int get(const std::string& path, bool is_output) {
    auto it = index_.find(path);
    int track;
    if (it != index_.end()) {
      track = it->second;
    } else {
      track = static_cast<int>(data_.tracks.size());
      if (storage_ == AudioStorage::kMappedCache) {
        CachedAudio audio = read_audio_cached(path, warn_);
        data_.tracks.push_back(std::move(audio.samples));
        rates_.push_back(audio.sample_rate);
      } else {
        Audio audio = read_audio(path, warn_);
        data_.tracks.push_back(std::move(audio.samples));
        rates_.push_back(audio.sample_rate);
      }
      data_.track_files.push_back(path);
      index_[path] = track;
      check_finite(data_.tracks[track], path, rates_[track]);
      check_not_silent(data_.tracks[track], path);
    }
    if (is_output && checked_outputs_.insert(track).second)
      check_not_clipped(data_.tracks[track], path, rates_[track]);
    // The checks read every sample: a mapped track must not stay resident for them.
    data_.tracks[track].release();
    return track;
  }
  int rate(int track) const { return rates_[track]; }

 private:
  KnobDataset& data_;
  const WarningSink& warn_;
  AudioStorage storage_;
  std::map<std::string, int> index_;
  std::set<int> checked_outputs_;
  std::vector<int> rates_;
};

Index to_samples(const Position& p, Index length, int sample_rate) {
  const double v = p.seconds ? std::round(p.value * sample_rate) : p.value;
  return static_cast<Index>(v < 0 ? v + double(length) : v);
}

void check_rates(const DatasetSpec& spec, const DatasetEntry& entry, int in_rate, int out_rate,
                 int sr) {
  if (in_rate != out_rate)
    throw input_error(spec.file, entry.field, "input and output at the same sample rate",
                      entry.input_file + " at " + std::to_string(in_rate) + " Hz and " +
                          entry.output_file + " at " + std::to_string(out_rate) + " Hz");
  if (in_rate != sr)
    throw input_error(
        entry.input_file, "", std::to_string(sr) + " Hz (the data config's \"sample_rate\")",
        std::to_string(in_rate) + " Hz; resample the recordings or set \"sample_rate\": " +
            std::to_string(in_rate) + " in the data config");
}

void check_lengths(const DatasetSpec& spec, const DatasetEntry& entry, long long x_len,
                   long long y_len, const DataConfig& config, const WarningSink& warn) {
  if (x_len == y_len) return;
  const int sr = config.sample_rate;
  const std::string lengths = "input " + entry.input_file + " has " +
                              samples_and_seconds(x_len, sr) + ", output " + entry.output_file +
                              " has " + samples_and_seconds(y_len, sr);
  if (std::llabs(x_len - y_len) > config.max_length_difference)
    throw input_error(spec.file, entry.field,
                      "input and output of the same length (within " +
                          std::to_string(config.max_length_difference) +
                          " samples, \"max_length_difference\"); were they recorded together?",
                      lengths);
  warn(spec.file + ": " + entry.field + ": lengths differ slightly (" + lengths +
       "); using the common part");
}

// A train entry's segment becomes a training part and a validation tail. The tail ends where the
// output's signal ends: a decay into silence measures nothing, so it is skipped, not held out.
void split_train_entry(KnobDataset& data, const Segment& whole, Index tail,
                       const std::string& where, const WarningSink& warn) {
  Segment train = whole;
  if (tail > 0) {
    const auto y = std::span<const float>(data.tracks[whole.output_track])
                       .subspan(whole.output_begin, whole.length);
    Index end = static_cast<Index>(signal_end(y));
    data.tracks[whole.output_track].release();
    if (end == 0) end = whole.length;
    Segment val = whole;
    val.length = std::min(tail, end);
    val.input_begin += end - val.length;
    val.output_begin += end - val.length;
    data.validation.push_back(val);
    train.length = end - val.length;
  }
  if (train.length >= data.ny) {
    data.train.push_back(train);
  } else {
    warn(where + ": its training part (" + samples_and_seconds(train.length, data.sample_rate) +
         ") is shorter than ny = " + std::to_string(data.ny) + "; it is used for validation only");
  }
}

void warn_quiet_validation(const KnobDataset& data, const std::string& file,
                           const WarningSink& warn) {
  for (const auto& v : data.validation) {
    const double db = rms_db(
        std::span<const float>(data.tracks[v.output_track]).subspan(v.output_begin, v.length));
    if (db >= kQuietSegmentRmsDb) continue;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f dBFS", db);
    warn(file + ": " + data.entries[v.entry].spec.field +
         ": its validation segment is nearly silent (RMS " + text +
         "); it measures little. Hold out a part with signal (\"split\": \"validation\" on a "
         "louder entry)");
  }
}

void warn_delay_disagreement(const KnobDataset& data, const std::string& file,
                             const WarningSink& warn) {
  long long lo = 0, hi = 0;
  std::string list;
  for (const auto& e : data.entries) {
    if (!e.delay_estimated) continue;
    lo = list.empty() ? e.delay : std::min(lo, e.delay);
    hi = list.empty() ? e.delay : std::max(hi, e.delay);
    list += (list.empty() ? "" : ", ") + e.spec.field + ": " + std::to_string(e.delay);
  }
  if (hi - lo > kDelayDisagreement)
    warn(file + ": estimated delays disagree by " + std::to_string(hi - lo) + " samples (" + list +
         "); if all recordings went through the same interface, set \"delay\" to \"auto\" or "
         "one number in the data config");
}

// Outliers of the shared latency, and the data check: a target that leads its input (delay
// later than the output's first arrival) asks a causal model to see the future.
void warn_delay_problems(const KnobDataset& data, const std::string& file,
                         const WarningSink& warn) {
  std::set<std::pair<int, int>> reported;
  for (const auto& e : data.entries) {
    if (!reported.insert({e.input_track, e.output_track}).second) continue;
    const std::string where = file + ": " + e.spec.field;
    const std::string take = where + " (" + std::filesystem::path(e.spec.output_file).filename().string() + ")";
    if (!e.blip_problem.empty()) warn(take + ": " + e.blip_problem);
    if (e.blip_shifted)
      warn(take + ": its blips put its output " + std::to_string(*e.blip_delay) +
           " samples after its input, away from the other takes': recorded shifted, it trains with its own delay " +
           std::to_string(e.delay));
    if (e.delay_outlier)
      warn(where + ": its first arrival, " + describe(e.estimate) +
           (e.estimate.reliable() ? ", disagrees with the other recordings'"
                                  : ", is unreliable (no clear onset, or below " +
                                        std::to_string(int(kMinDelayConfidenceDb)) + " dB)") +
           "; it was left out of the shared latency " + std::to_string(e.delay) +
           ", which it uses. If it went through another chain, give it its own \"delay\"");
    if (e.estimate.reliable() && e.delay > e.estimate.delay + kFutureSlack)
      warn(where + ": with delay " + std::to_string(e.delay) +
           " the target leads its input: the output's first arrival is at " + describe(e.estimate) +
           ", so a causal model would need to see " + std::to_string(e.delay - e.estimate.delay) +
           " samples of the future. Set \"delay\" to " + std::to_string(e.estimate.delay) +
           " or less (or \"auto\")");
  }
}

void require_training_data(const KnobDataset& data, const std::string& file, double tail_seconds) {
  if (!data.train.empty()) return;
  int train_entries = 0;
  for (const auto& e : data.entries) train_entries += e.spec.split == Split::train;
  char tail_text[32];
  std::snprintf(tail_text, sizeof tail_text, "%g", tail_seconds);
  throw input_error(
      file, "",
      "training data left after the validation split (at least one \"train\" entry with ny = " +
          std::to_string(data.ny) + " samples or more beyond its " + tail_text +
          " s validation tail)",
      train_entries == 0 ? "no entry with \"split\": \"train\""
                         : "none among " + std::to_string(train_entries) +
                               " train entries; lower \"validation_tail_seconds\" or \"ny\"");
}

}  // namespace

BatchItem KnobDataset::item(const Segment& s, Index offset, Index length) const {
  const auto& x = tracks[s.input_track];
  const auto& y = tracks[s.output_track];
  const auto& values = entries[s.entry].spec.knob_values;
  return BatchItem{
      std::span<const float>(x).subspan(s.input_begin + offset - (nx - 1), length + nx - 1),
      std::span<const float>(y).subspan(s.output_begin + offset, length),
      std::span<const double>(values), s.entry};
}

void KnobDataset::release_pages() const {
  for (const Track& t : tracks) t.release();
}

std::string KnobDataset::summary() const {
  std::string out =
      std::to_string(entries.size()) + " entries, " + std::to_string(sample_rate) + " Hz; knobs:";
  char buf[256];
  for (const auto& k : knobs) {
    std::snprintf(buf, sizeof buf, " %s [%g, %g] (default %g)", k.name.c_str(), k.min, k.max,
                  k.default_value);
    out += buf;
  }
  out += "\n";
  for (const auto& e : entries) {
    std::snprintf(buf, sizeof buf, "  %-12s %-10s delay %lld%s (first arrival %s%s)  %s\n",
                  e.spec.field.c_str(), split_name(e.spec.split), e.delay,
                  e.delay_estimated ? " estimated" : "", describe(e.estimate).c_str(),
                  e.delay_outlier ? ", outlier" : "", e.spec.output_file.c_str());
    out += buf;
  }
  const std::pair<const char*, const std::vector<Segment>*> splits[] = {
      {"train", &train}, {"validation", &validation}, {"test", &test}};
  for (const auto& [name, segments] : splits) {
    Index n = 0;
    for (const auto& s : *segments) n += s.length;
    std::snprintf(buf, sizeof buf, "  %s: %zu segments, %.1f s\n", name, segments->size(),
                  double(n) / sample_rate);
    out += buf;
  }
  return out;
}

KnobDataset load_knob_dataset(const DataConfig& config, Index nx, const WarningSink& warn,
                              AudioStorage storage) {
  DatasetSpec spec =
      parse_dataset(Json::parse_file(config.dataset), config.infer_knob_ranges, warn);
  KnobDataset data;
  data.knobs = spec.knobs;
  data.sample_rate = config.sample_rate;
  data.nx = std::max<Index>(nx, 1);
  data.ny = config.ny;
  const int sr = config.sample_rate;

  bool any_validation_entry = false;
  for (const auto& e : spec.entries)
    any_validation_entry = any_validation_entry || e.split == Split::validation;
  const double tail_seconds =
      config.validation_tail_seconds.value_or(any_validation_entry ? 0.0 : 1.0);
  const Index tail = static_cast<Index>(std::round(tail_seconds * sr));

  TrackCache cache(data, warn, storage);
  // Every pair's first arrival, estimated once per distinct input/output pair (the data check
  // needs it for stated delays too); with "auto", one latency shared by all of them.
  std::map<std::pair<int, int>, DelayEstimate> estimates;
  std::map<std::pair<int, int>, bool> outliers;
  // Pairs whose input is a plan's signal: where the blips put the output. The blips are coarse
  // (+-2 samples) but cannot be fooled by the music, so an estimate that contradicts them is not
  // used for the shared latency (the first arrival stays the precise estimate when they agree).
  std::map<std::pair<int, int>, BlipAlignment> blips;
  for (const auto& entry_spec : spec.entries) {
    const int in = cache.get(entry_spec.input_file, false);
    const int out = cache.get(entry_spec.output_file, true);
    check_rates(spec, entry_spec, cache.rate(in), cache.rate(out), sr);
    if (estimates.count({in, out})) continue;
    DelayEstimate estimate = estimate_latency(data.tracks[in], data.tracks[out]);
    BlipAlignment b = blip_alignment(data.tracks[in], data.tracks[out], sr);
    // One pair's audio resident at a time, not the dataset's.
    data.tracks[in].release();
    data.tracks[out].release();
    if (b.input_head) {
      if (b.head_delay && std::labs(*b.head_delay - estimate.delay) > kBlipTolerance) estimate.clear_onset = false;
      blips[{in, out}] = b;
    }
    estimates[{in, out}] = estimate;
  }
  std::optional<long long> shared;
  if (!config.delay && !config.delay_per_pair) {
    std::vector<std::pair<int, int>> keys;
    std::vector<DelayEstimate> auto_estimates;
    for (const auto& entry_spec : spec.entries) {
      const std::pair<int, int> key{cache.get(entry_spec.input_file, false),
                                    cache.get(entry_spec.output_file, true)};
      if (entry_spec.delay || outliers.count(key)) continue;
      outliers[key] = false;
      keys.push_back(key);
      auto_estimates.push_back(estimates[key]);
    }
    if (!keys.empty()) {
      const JointDelay joint = joint_latency(auto_estimates);
      shared = joint.delay;
      for (size_t i = 0; i < keys.size(); ++i) outliers[keys[i]] = joint.outlier[i];
    }
  }
  for (auto& entry_spec : spec.entries) {
    const std::string& where = entry_spec.field;
    LoadedEntry e;
    e.input_track = cache.get(entry_spec.input_file, false);
    e.output_track = cache.get(entry_spec.output_file, true);
    check_rates(spec, entry_spec, cache.rate(e.input_track), cache.rate(e.output_track), sr);
    const auto& x = data.tracks[e.input_track];
    const auto& y = data.tracks[e.output_track];
    const auto x_len = static_cast<Index>(x.size()), y_len = static_cast<Index>(y.size());
    check_lengths(spec, entry_spec, x_len, y_len, config, warn);

    // Trims are in the input's time; the output follows through the delay.
    Index a = 0, b = x_len;
    if (entry_spec.start) a = to_samples(*entry_spec.start, x_len, sr);
    if (entry_spec.stop) b = to_samples(*entry_spec.stop, x_len, sr);
    if (a < 0 || b > x_len || a >= b)
      throw input_error(
          spec.file, where, "0 <= start < stop <= " + samples_and_seconds(x_len, sr),
          "start " + std::to_string(a) + " and stop " + std::to_string(b) + " (in samples)");

    const auto key = std::make_pair(e.input_track, e.output_track);
    e.estimate = estimates[key];
    if (entry_spec.delay) {
      e.delay = *entry_spec.delay;
    } else if (config.delay) {
      e.delay = *config.delay;
    } else {
      e.delay = shared ? *shared : e.estimate.delay;
      e.delay_outlier = shared && outliers[key];
      e.delay_estimated = true;
    }
    if (const auto b = blips.find(key); b != blips.end()) {
      e.blip_problem = b->second.problem;
      e.blip_delay = b->second.delay();
      if (e.blip_delay && e.delay_estimated) {
        // The estimate where it agrees with the blips; else the blips' delay, erring early by
        // their own uncertainty (a late delay makes the target acausal).
        const long own = std::labs(e.estimate.delay - *e.blip_delay) <= kBlipTolerance
                             ? e.estimate.delay
                             : *e.blip_delay - kBlipUncertainty;
        if (std::labs(*e.blip_delay - e.delay) > kBlipTolerance) {
          e.delay = own;
          e.delay_outlier = false;
          e.blip_shifted = true;
        }
      }
    }

    // Target t (input time) needs input context back to t - (nx - 1) >= a, and output t + delay.
    const Index t_lo = std::max<Index>(a + data.nx - 1, -e.delay);
    const Index t_hi = std::min<Index>(b, y_len - e.delay);
    if (t_hi - t_lo < 1)
      throw input_error(
          spec.file, where,
          "more than nx - 1 = " + std::to_string(data.nx - 1) +
              " samples of audio after start/stop and delay (nx is the model's receptive field)",
          "only " +
              samples_and_seconds(std::max<Index>(0, t_hi - std::max<Index>(a, -e.delay)), sr));
    const Segment whole{static_cast<int>(data.entries.size()),
                        e.input_track,
                        e.output_track,
                        t_lo,
                        t_lo + e.delay,
                        t_hi - t_lo};
    e.spec = std::move(entry_spec);
    data.entries.push_back(std::move(e));
    const LoadedEntry& added = data.entries.back();
    if (added.spec.split == Split::test) data.test.push_back(whole);
    if (added.spec.split == Split::validation) data.validation.push_back(whole);
    if (added.spec.split == Split::train)
      split_train_entry(data, whole, tail, spec.file + ": " + added.spec.field, warn);
  }

  warn_quiet_validation(data, spec.file, warn);
  if (config.delay_per_pair) warn_delay_disagreement(data, spec.file, warn);
  warn_delay_problems(data, spec.file, warn);
  require_training_data(data, spec.file, tail_seconds);
  data.release_pages();  // alignment read the tracks
  return data;
}

}  // namespace namk
