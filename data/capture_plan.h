// A capture session: the plan (which settings, in which order, which files), the files that tell
// the user how to record it (plan.csv, plan.txt, README.txt, input.wav and, with an anchor,
// anchor_input.wav), the dataset.json that `nam-knobs train` reads once the takes are recorded,
// and the check of those takes before training. The design itself is in knob_design.h, the
// signal in reamp_signal.h, the alignment blips in blips.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "audio/audio_file.h"
#include "data/dataset_spec.h"
#include "data/knob_design.h"

namespace namk {

// 20 s per take: with the 4 s frame (blips, noise floor), 16 s of music, of which 15 s train and
// 1 s validate; every sweep and noise level appears and about 12 s are guitar phrases. Enough for
// a model to see how the setting changes the sound when the anchor take (or the other settings)
// teach the nonlinearity; see docs/capture.md for the measurement behind the choice.
inline constexpr double kDefaultTakeSeconds = 20.0;
inline constexpr int kPlanSampleRate = 48000;

struct PlanOptions {
  std::vector<PlanKnob> knobs;
  size_t settings = 0;  // training settings (N)
  size_t tests = 0;     // held-out settings (M)
  double seconds = kDefaultTakeSeconds;
  double anchor_seconds = 0;  // 0: no anchor take
  std::uint64_t seed = 1;
};

struct Take {
  Setting knobs;
  Split split = Split::train;
  bool anchor = false;
  std::string file;  // the recording to make, relative to the session folder
};

struct CapturePlan {
  PlanOptions options;
  Setting start;             // the knobs' defaults: where the session starts
  std::vector<Take> takes;   // in recording order
  size_t corners = 0;        // how many training settings are corners
  double travel = 0;         // knob travel of the recording order (full-range turns)
  double random_travel = 0;  // mean travel of random orders of the same takes
};

// Checks the options (UsageError naming the flag: no knob, repeated knob names, N < knobs + 1,
// take lengths below kReampMinSeconds) and designs the session.
CapturePlan make_capture_plan(const PlanOptions& options);

// "gain=2.5 tone=7.3" (labels for named positions).
std::string setting_label(const std::vector<PlanKnob>& knobs, const Setting& s);

// Writes the session into `dir`; refuses an existing non-empty folder unless `force` (then the
// plan's files are overwritten and nothing else is touched). Returns the files written.
std::vector<std::string> write_capture_session(const CapturePlan& plan, const std::string& dir,
                                               bool force);

// plan.txt's text: the settings table and the travel comparison.
std::string plan_text(const CapturePlan& plan);

enum class TakeStatus { ok, missing, unusable };

struct TakeCheck {
  std::string setting;  // setting_label form
  std::string file;
  TakeStatus status = TakeStatus::ok;
  std::string problem;  // why missing or unusable
  long delay = 0;       // output minus input, from the blips (when found)
  bool delay_known = false;
  double noise_floor_db = 0;  // RMS of the recorded silence after the head blips
};

struct SessionCheck {
  std::vector<TakeCheck> takes;
  size_t bad = 0;  // missing + unusable
  std::string text() const;
};

// Reads SESSION/dataset.json, the inputs and every recording that exists; reports per take:
// missing file, unreadable, other sample rate than its input, too short or too long, non-finite,
// silent, clipped, blips missing or disagreeing between the ends, or a delay that differs from the
// other takes'. Throws InputError only when the session itself (dataset.json, inputs) is broken.
SessionCheck check_capture_session(const std::string& dir);

}  // namespace namk
