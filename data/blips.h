// The plan's alignment blips: three short tone bursts at fixed gaps, at the start and at the end
// of every reamp signal (reamp_signal.h writes them). Finding them in a recording gives its delay
// at both ends, so a take that is shifted, cut short or has dropped samples between the ends is
// caught before training. Separate from data/alignment.h (cross-correlation over music, for any
// recording); a loader that knows a take comes from a plan can prefer blip_alignment().delay.
// Works on polarity-inverted, filtered and distorted recordings: it looks at the envelope's onset.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace namk {

// The burst: a cosine starting at its peak (a sharp onset that filters and clippers keep in
// place), kBlipCycles cycles of kBlipHz, then a quick fade. Onsets of the three bursts of a group
// are 0, kBlipGap1 and kBlipGap1 + kBlipGap2 seconds apart: uneven gaps, so a group is
// recognised and cannot be confused with a repeated note.
inline constexpr double kBlipHz = 1000.0;
inline constexpr int kBlipCycles = 4;
inline constexpr double kBlipLevel = 0.5;  // -6 dBFS
inline constexpr double kBlipGap1 = 0.2, kBlipGap2 = 0.3;
// A group spans its three onsets plus the last burst.
inline constexpr double kBlipGroupSeconds = kBlipGap1 + kBlipGap2 + kBlipCycles / kBlipHz;
// The largest shift between input and recording searched for (much more than any interface's
// round trip, less than the silence around each group).
inline constexpr double kBlipMaxShiftSeconds = 0.25;
// Delays measured at the two ends, or in two takes, that differ by more than this many samples
// are reported (the same tolerance the loader allows between correlation estimates).
inline constexpr long kBlipTolerance = 4;
// How far a blip delay may sit from the true first arrival (measured through the virtual amps,
// tests/data/test_capture_plan.cpp): a delay taken from the blips alone is this much early.
inline constexpr long kBlipUncertainty = 2;

// Adds one group of blips to x with its first onset at `at` (samples).
void add_blip_group(std::vector<double>& x, size_t at, int sample_rate);

// The first onset of a blip group found in x[begin, end), or nullopt. An onset is where the
// rectified signal first rises above 10% of the window's peak after 30 ms below it; a group is
// three onsets with the gaps above (within 2 ms). The window must hold only silence or noise
// besides the group (the plan's signal guarantees it).
std::optional<long> find_blip_group(std::span<const float> x, long begin, long end,
                                    int sample_rate);

// Blip positions of a recording against its input: head and tail delays (output minus input, in
// samples), or nullopt where the recording has no blips in the expected place.
struct BlipAlignment {
  std::optional<long> input_head, input_tail;  // onsets in the input (absent: not a plan signal)
  std::optional<long> head_delay, tail_delay;
  // Empty when both ends were found and agree within kBlipTolerance; otherwise a sentence for the
  // user ("no blips at the end: the recording stops 1.2 s early...").
  std::string problem;
  // The delay to train with: the head's (present when problem is empty).
  std::optional<long> delay() const { return problem.empty() ? head_delay : std::nullopt; }
};

// Looks for the input's head group in its first kBlipSearchSeconds and its tail group in its last
// kBlipSearchSeconds, then for each in the recording within kBlipMaxShiftSeconds of it.
inline constexpr double kBlipSearchSeconds = 2.0;
BlipAlignment blip_alignment(std::span<const float> input, std::span<const float> output,
                             int sample_rate);

}  // namespace namk
