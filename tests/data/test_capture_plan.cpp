// nam-knobs plan's data side: knob parsing and its bad inputs (messages), the design (seeded,
// inside the ranges, corners, Latin, spread), the order (a short knob path), the reamp signal's
// blips (found through the virtual amp, shifts measured), the session files (load as a dataset,
// anchor marked) and the session check naming each broken take.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include "base/error.h"
#include "data/blips.h"
#include "data/capture_plan.h"
#include "data/demo_amp.h"
#include "data/knob_dataset.h"
#include "data/knob_design.h"
#include "data/reamp_signal.h"
#include "data/rng.h"
#include "data_test_util.h"

using namespace namk;
using namespace namk::test;

namespace {

std::vector<PlanKnob> knobs_of(std::initializer_list<const char*> texts) {
  std::vector<PlanKnob> knobs;
  for (const char* t : texts) knobs.push_back(parse_plan_knob(t));
  return knobs;
}

double min_distance(const std::vector<PlanKnob>& knobs, const std::vector<Setting>& s) {
  double best = 1e300;
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t j = 0; j < i; ++j) {
      double d = 0;
      for (size_t k = 0; k < knobs.size(); ++k) {
        const double e = knobs[k].normalise(s[i][k]) - knobs[k].normalise(s[j][k]);
        d += e * e;
      }
      best = std::min(best, std::sqrt(d));
    }
  return best;
}

PlanOptions small_options() {
  PlanOptions o;
  o.knobs = knobs_of({"gain:0:10", "tone:0:10"});
  o.settings = 5;
  o.tests = 1;
  o.seconds = 8;
  o.seed = 4;
  return o;
}

// Writes the session's files and plays every take through the virtual amp.
void record_session(const std::string& dir, const CapturePlan& plan) {
  write_capture_session(plan, dir, false);
  for (const Take& t : plan.takes) {
    const Audio x = read_audio(dir + (t.anchor ? "/anchor_input.wav" : "/input.wav"),
                               [](const std::string&) {});
    write_wav(dir + "/" + t.file, demo_amp(x.samples, t.knobs[0], t.knobs[1]), x.sample_rate);
  }
}

// A session planned with o, written into dir and recorded.
CapturePlan recorded_session(const std::string& dir, const PlanOptions& o) {
  const CapturePlan plan = make_capture_plan(o);
  record_session(dir, plan);
  return plan;
}

const TakeCheck& take_named(const SessionCheck& c, const std::string& file) {
  for (const auto& t : c.takes)
    if (t.file == file) return t;
  FAIL("no take " << file);
  return c.takes.front();
}

}  // namespace

TEST_CASE("plan knobs: continuous, detented and switch forms") {
  const PlanKnob bass = parse_plan_knob("bass:0:10:4");
  CHECK(bass.min == 0);
  CHECK(bass.max == 10);
  CHECK(bass.default_value == 4);
  CHECK(!bass.detented());
  CHECK(parse_plan_knob("gain:0:10").default_value == 5);
  CHECK(knob_step(bass) == doctest::Approx(0.1));
  CHECK(bass.realise(0.7349) == doctest::Approx(7.3));
  const PlanKnob voice = parse_plan_knob("voice:3,1,2");
  CHECK(voice.levels == std::vector<double>{1, 2, 3});
  CHECK(voice.default_value == 2);
  CHECK(voice.realise(0.8) == 3);
  const PlanKnob bright = parse_plan_knob("bright:off,on");
  CHECK(bright.levels == std::vector<double>{0, 1});
  CHECK(bright.show(1) == "on");
  CHECK(bright.default_value == 0);
}

TEST_CASE("plan knobs: every bad form is an error naming the --knob and what was expected") {
  const auto message = [](const char* text) {
    try {
      parse_plan_knob(text);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("gain:10:0") ==
        "nam-knobs plan: --knob gain:10:0: expected min < max, found min 10 and max 0");
  CHECK(message("gain:5:5").find("expected min < max, found min 5 and max 5") != std::string::npos);
  CHECK(message("bass:0:10:12") ==
        "nam-knobs plan: --knob bass:0:10:12: expected a default within [0, 10], found 12");
  CHECK(message("bass:0:10:-1").find("a default within [0, 10], found -1") != std::string::npos);
  CHECK(message("gain").find("expected name:min:max[:default] or name:a,b,c") != std::string::npos);
  CHECK(message("gain:0:x").find("found \"x\"") != std::string::npos);
  CHECK(message("ga in:0:1").find("a knob name of letters") != std::string::npos);
  CHECK(message("voice:1,1,2").find("each position once, found \"1\" twice") != std::string::npos);
  CHECK(message("voice:a,,b").find("an empty one") != std::string::npos);
}

TEST_CASE("plan: fewer settings than knobs + 1, and repeated knobs, are errors") {
  PlanOptions o = small_options();
  o.knobs = knobs_of({"gain:0:10", "bass:0:10:5", "treble:0:10"});
  o.settings = 3;
  CHECK_THROWS_WITH_AS(make_capture_plan(o),
                       "nam-knobs plan: --settings: expected at least 4 (the number of knobs + 1), "
                       "found 3",
                       UsageError);
  o.settings = 4;
  CHECK_NOTHROW(make_capture_plan(o));
  o.knobs = knobs_of({"gain:0:10", "gain:0:5"});
  CHECK_THROWS_WITH_AS(make_capture_plan(o),
                       "nam-knobs plan: --knob: expected each knob name once, found \"gain\" twice",
                       UsageError);
  o.knobs = knobs_of({"a:x,y", "b:x,y"});
  o.settings = 5;  // only 4 distinct settings exist
  CHECK_THROWS_WITH_AS(make_capture_plan(o),
                       "nam-knobs plan: --settings: expected at most 4 (the number of distinct "
                       "settings of these knobs), found 5",
                       UsageError);
}

TEST_CASE("plan: an existing non-empty --out is refused unless --force") {
  TempDir dir;
  write_text(dir / "take.wav", "not empty");
  const CapturePlan plan = make_capture_plan(small_options());
  try {
    write_capture_session(plan, dir.str(), false);
    FAIL("no error");
  } catch (const UsageError& e) {
    const std::string m = e.what();
    CHECK(m.find("--out " + dir.str() +
                 ": expected a new or empty folder, found one holding 1 "
                 "entries (add --force") != std::string::npos);
  }
  CHECK(!std::filesystem::exists(dir / "plan.csv"));
  write_capture_session(plan, dir.str(), true);
  CHECK(std::filesystem::exists(dir / "plan.csv"));
  CHECK(bytes_of(dir / "take.wav") == "not empty");  // --force touches only the plan's files
}

TEST_CASE("design: the same seed gives the same plan and files, another seed another plan") {
  TempDir a, b, c;
  PlanOptions o = small_options();
  o.knobs = knobs_of({"gain:0:10", "bass:0:10:5", "treble:0:10", "voice:low,mid,high"});
  o.settings = 12;
  o.tests = 3;
  write_capture_session(make_capture_plan(o), a.str(), false);
  write_capture_session(make_capture_plan(o), b.str(), false);
  o.seed += 1;
  write_capture_session(make_capture_plan(o), c.str(), false);
  for (const char* f : {"plan.csv", "plan.txt", "dataset.json", "README.txt", "input.wav"}) {
    CAPTURE(f);
    CHECK(bytes_of(a / f) == bytes_of(b / f));
  }
  CHECK(bytes_of(a / "plan.csv") != bytes_of(c / "plan.csv"));
  CHECK(bytes_of(a / "input.wav") != bytes_of(c / "input.wav"));
}

TEST_CASE("design: settings inside the ranges, dialable and distinct, corners when few enough") {
  const auto knobs = knobs_of({"gain:0:10", "bass:-6:6:0", "voice:1,2,3", "bright:off,on"});
  for (size_t n : {5, 9, 20, 32, 40}) {
    CAPTURE(n);
    const auto train = design_training(knobs, n, 7);
    const auto test = design_test(knobs, train, 4, 7);
    REQUIRE(train.size() == n);
    REQUIRE(test.size() == 4);
    std::set<Setting> distinct(train.begin(), train.end());
    CHECK(distinct.size() == n);
    for (const auto& s : train) {
      for (size_t k = 0; k < knobs.size(); ++k) {
        CHECK(s[k] >= knobs[k].min);
        CHECK(s[k] <= knobs[k].max);
        CHECK(knobs[k].realise(knobs[k].normalise(s[k])) == s[k]);  // on a step or a detent
      }
    }
    for (const auto& s : test) {
      CHECK(!distinct.count(s));
      for (size_t k = 0; k < 2; ++k) {  // the continuous knobs: strictly inside
        CHECK(knobs[k].normalise(s[k]) >= 0.1 - 1e-9);
        CHECK(knobs[k].normalise(s[k]) <= 0.9 + 1e-9);
      }
    }
    // 16 corners need at least 32 settings.
    const bool corners = n >= 32;
    CHECK(design_includes_corners(knobs.size(), n) == corners);
    for (size_t c = 0; c < 16 && corners; ++c) {
      Setting corner(4);
      for (size_t k = 0; k < 4; ++k) corner[k] = (c >> k) & 1 ? knobs[k].max : knobs[k].min;
      CHECK(distinct.count(corner));
    }
  }
}

TEST_CASE("design: a Latin hypercube, spread wider than random settings") {
  const auto knobs = knobs_of({"gain:0:10", "bass:0:10", "treble:0:10"});
  const size_t n = 12;  // corners need 16: a pure Latin hypercube
  const auto train = design_training(knobs, n, 3);
  for (size_t k = 0; k < knobs.size(); ++k) {
    std::set<double> values;
    for (const auto& s : train) values.insert(s[k]);
    CHECK(values.size() == n);    // every knob gets n distinct values...
    CHECK(*values.begin() == 0);  // ...spanning its range
    CHECK(*values.rbegin() == 10);
  }
  // Smallest distance between settings against random designs of the same size.
  Rng rng = make_rng(5, 0);
  double random_mean = 0;
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<Setting> random(n, Setting(3));
    for (auto& s : random)
      for (auto& v : s) v = uniform(rng, 0, 10);
    random_mean += min_distance(knobs, random) / 50;
  }
  MESSAGE("min distance: design " << min_distance(knobs, train) << ", random " << random_mean);
  CHECK(min_distance(knobs, train) > 2 * random_mean);
}

TEST_CASE("order: the planned knob path is much shorter than a random order") {
  const auto knobs = knobs_of({"gain:0:10", "bass:0:10:5", "treble:0:10"});
  const auto train = design_training(knobs, 24, 1);
  const Setting start = {5, 5, 5};
  const auto order = order_for_travel(knobs, start, train);
  std::vector<size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) CHECK(sorted[i] == i);  // a permutation
  const double planned = path_travel(knobs, start, train, order);
  const double random = random_order_travel(knobs, start, train, 200, 1);
  MESSAGE("knob travel: planned " << planned << ", random " << random);
  CHECK(planned < 0.6 * random);

  // On a line, the shortest path from one end visits the settings in order.
  const std::vector<Setting> line = {{7, 5, 5}, {1, 5, 5}, {9, 5, 5}, {3, 5, 5}, {5, 5, 5}};
  const auto line_order = order_for_travel(knobs, {0, 5, 5}, line);
  CHECK(line_order == std::vector<size_t>{1, 3, 4, 0, 2});
  CHECK(path_travel(knobs, {0, 5, 5}, line, line_order) == doctest::Approx(0.9));
}

TEST_CASE("blips: found at both ends through the virtual amp, shifts and inversions measured") {
  const ReampSignal input = make_reamp_signal(8, 2, false, kPlanSampleRate);
  const int sr = kPlanSampleRate;
  for (double gain : {0.0, 5.0, 10.0})
    for (double tone : {0.0, 10.0}) {
      CAPTURE(gain);
      CAPTURE(tone);
      const std::vector<float> y = demo_amp(input.samples, gain, tone);
      const BlipAlignment a = blip_alignment(input.samples, y, sr);
      CHECK(a.problem == "");
      REQUIRE(a.head_delay);
      CHECK(std::labs(*a.head_delay) <= 1);
    }
  std::vector<float> y = demo_amp(input.samples, 7, 5);
  std::vector<float> shifted(y.size(), 0.0f);
  for (size_t i = 0; i + 137 < y.size(); ++i) shifted[i + 137] = -y[i];  // 137 samples, inverted
  const BlipAlignment a = blip_alignment(input.samples, shifted, sr);
  CHECK(a.problem == "");
  REQUIRE(a.head_delay);
  CHECK(std::labs(*a.head_delay - 137) <= 2);
  REQUIRE(a.delay());
  // 300 samples dropped in the middle: the ends disagree.
  std::vector<float> dropped(y.begin(), y.begin() + 4 * sr);
  dropped.insert(dropped.end(), y.begin() + 4 * sr + 300, y.end());
  dropped.resize(y.size(), 0.0f);
  const BlipAlignment d = blip_alignment(input.samples, dropped, sr);
  CHECK(d.problem.find("the end blips are 300 samples earlier") != std::string::npos);
  CHECK(!d.delay());
  // Silence or a plain signal has no blips.
  CHECK(!find_blip_group(std::vector<float>(sr, 0.0f), 0, sr, sr));
}

TEST_CASE("session: dataset.json loads for training, with the trims, test split and anchor") {
  TempDir dir;
  PlanOptions o = small_options();
  o.anchor_seconds = 12;
  const CapturePlan plan = make_capture_plan(o);
  REQUIRE(plan.takes.size() == 1 + 5 + 1);
  CHECK(plan.takes[0].anchor);
  CHECK(plan.takes[0].knobs == Setting{5, 5});
  CHECK(plan.takes[0].file == "anchor_gain5_tone5.wav");
  record_session(dir.str(), plan);
  const Audio anchor = read_audio(dir / "anchor_input.wav", [](const std::string&) {});
  CHECK(anchor.samples.size() == 12u * kPlanSampleRate);
  Warnings w;
  const KnobDataset data = load_knob_dataset(read_data_config(dir / "dataset.json"), 64, w.sink());
  CHECK(w.list.empty());
  REQUIRE(data.entries.size() == plan.takes.size());
  CHECK(data.knobs[1].name == "tone");
  CHECK(data.entries[0].spec.anchor);
  int tests = 0;
  for (size_t i = 0; i < data.entries.size(); ++i) {
    CHECK(data.entries[i].spec.anchor == (i == 0));
    CHECK(std::llabs(data.entries[i].delay) <= 1);  // estimated by correlation through the amp
    tests += data.entries[i].spec.split == Split::test;
  }
  CHECK(tests == 1);
  // Trimmed to the music: 8 s takes train on 8 - 2.25 - 1.75 = 4 s (minus the 1 s validation).
  REQUIRE(!data.train.empty());
  CHECK(data.train.back().length <= 3 * kPlanSampleRate);
  const std::string csv = bytes_of(dir / "plan.csv");
  CHECK(csv.rfind("take,split,anchor,file,gain,tone\n1,train,1,anchor_gain5_tone5.wav,5,5\n", 0) ==
        0);
  CHECK(bytes_of(dir / "plan.txt").find("a random order") != std::string::npos);
  CHECK(bytes_of(dir / "README.txt").find("anchor_gain5_tone5.wav") != std::string::npos);
}

TEST_CASE("session check: every missing or broken take is named with its setting") {
  TempDir dir;
  PlanOptions o = small_options();
  o.settings = 8;
  const CapturePlan plan = recorded_session(dir.str(), o);
  const SessionCheck good = check_capture_session(dir.str());
  CHECK(good.bad == 0);
  CHECK(good.text().find("check: 9 of 9 takes usable") != std::string::npos);
  for (const auto& t : good.takes) CHECK(t.delay == 0);  // the virtual amp has no latency

  const auto file = [&](size_t i) { return plan.takes[i].file; };
  const auto label = [&](size_t i) { return setting_label(o.knobs, plan.takes[i].knobs); };
  const int sr = kPlanSampleRate;
  std::filesystem::remove(dir / file(0));  // missing
  Audio y = read_audio(dir / file(1), [](const std::string&) {});
  write_wav(dir / file(1), std::vector<float>(y.samples.begin(), y.samples.end() - sr), sr);
  y = read_audio(dir / file(2), [](const std::string&) {});  // recorded 200 samples late
  std::vector<float> late(y.samples.size(), 0.0f);
  std::copy(y.samples.begin(), y.samples.end() - 200, late.begin() + 200);
  write_wav(dir / file(2), late, sr);
  y = read_audio(dir / file(3), [](const std::string&) {});
  for (auto& v : y.samples) v = std::clamp(v * 20.0f, -1.0f, 1.0f);
  write_wav(dir / file(3), y.samples, sr);
  y = read_audio(dir / file(4), [](const std::string&) {});
  write_wav(dir / file(4), y.samples, 44100);

  const SessionCheck c = check_capture_session(dir.str());
  CHECK(c.bad == 5);
  const std::string text = c.text();
  MESSAGE(text);
  CHECK(take_named(c, file(0)).status == TakeStatus::missing);
  CHECK(take_named(c, file(1)).problem.find("too short") != std::string::npos);
  CHECK(take_named(c, file(2)).problem.find("shifted: its blips are ") != std::string::npos);
  CHECK(std::labs(take_named(c, file(2)).delay - 200) <= 2);
  CHECK(take_named(c, file(3)).problem.find("clipped") != std::string::npos);
  CHECK(take_named(c, file(4)).problem.find("recorded at 44100 Hz, the input is 48000 Hz") !=
        std::string::npos);
  for (size_t i = 0; i < 5; ++i) CHECK(text.find(label(i) + "  " + file(i)) != std::string::npos);
  CHECK(text.find("check: 4 of 9 takes usable, 5 missing or unusable") != std::string::npos);
}

TEST_CASE("training data: a take recorded shifted keeps its own delay, confirmed by its blips") {
  TempDir dir;
  PlanOptions o = small_options();
  o.settings = 6;
  const CapturePlan plan = recorded_session(dir.str(), o);
  const int sr = kPlanSampleRate;
  const std::string shifted = plan.takes[2].file, dropped = plan.takes[4].file;
  Audio y = read_audio(dir / shifted, [](const std::string&) {});  // recorded 200 samples late
  std::vector<float> late(y.samples.size(), 0.0f);
  std::copy(y.samples.begin(), y.samples.end() - 200, late.begin() + 200);
  write_wav(dir / shifted, late, sr);
  y = read_audio(dir / dropped, [](const std::string&) {});  // 300 samples lost mid-take
  std::vector<float> short_take(y.samples.begin(), y.samples.begin() + 4 * sr);
  short_take.insert(short_take.end(), y.samples.begin() + 4 * sr + 300, y.samples.end());
  short_take.resize(y.samples.size(), 0.0f);
  write_wav(dir / dropped, short_take, sr);

  Warnings w;
  const KnobDataset data = load_knob_dataset(read_data_config(dir / "dataset.json"), 64, w.sink());
  std::string all;
  for (const auto& m : w.list) all += m + "\n";
  MESSAGE(all);
  for (const LoadedEntry& e : data.entries) {
    CAPTURE(e.spec.output_file);
    REQUIRE(e.delay_estimated);
    if (e.spec.output_file.find(shifted) != std::string::npos) {
      // Its own first arrival (the shared latency is 0): exact or one sample early, never late.
      CHECK(e.blip_shifted);
      CHECK(e.delay <= 200);
      CHECK(e.delay >= 199);
      CHECK(!e.delay_outlier);
    } else {
      CHECK(!e.blip_shifted);
      CHECK(e.delay == 0);
    }
  }
  CHECK(all.find("(" + shifted + "): its blips put its output 200 samples after its input") != std::string::npos);
  CHECK(all.find("recorded shifted, it trains with its own delay") != std::string::npos);
  CHECK(all.find("(" + dropped + "): the end blips are 300 samples earlier") != std::string::npos);
}
