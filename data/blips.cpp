// See blips.h. Onset detection rather than cross-correlation: an amp at full gain turns the burst
// into a square-ish wave and a cabinet rings after it, which moves a correlation peak by several
// samples, but the first sample above a fraction of the peak stays within a sample or two of the
// burst's sharp start. Input onsets are found by the same detector, so its bias cancels.
#include "data/blips.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace namk {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kOnsetFraction = 0.1;
constexpr double kQuietBeforeOnset = 0.03;  // seconds below the threshold before a new onset
constexpr double kGapTolerance = 0.002;     // seconds

std::string seconds_text(long samples, int sample_rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", double(samples) / sample_rate);
  return buf;
}

}  // namespace

void add_blip_group(std::vector<double>& x, size_t at, int sample_rate) {
  const size_t length = static_cast<size_t>(kBlipCycles * sample_rate / kBlipHz);
  const size_t fade = std::max<size_t>(1, length / 4);
  for (double gap : {0.0, kBlipGap1, kBlipGap1 + kBlipGap2}) {
    const size_t start = at + static_cast<size_t>(std::lround(gap * sample_rate));
    for (size_t i = 0; i < length && start + i < x.size(); ++i) {
      const double tail =
          i + fade >= length ? 0.5 - 0.5 * std::cos(kPi * double(length - i) / fade) : 1.0;
      x[start + i] += kBlipLevel * tail * std::cos(2 * kPi * kBlipHz * double(i) / sample_rate);
    }
  }
}

std::optional<long> find_blip_group(std::span<const float> x, long begin, long end,
                                    int sample_rate) {
  begin = std::max<long>(begin, 0);
  end = std::min<long>(end, static_cast<long>(x.size()));
  if (end - begin < 2) return std::nullopt;
  float peak = 0;
  for (long i = begin; i < end; ++i) peak = std::max(peak, std::fabs(x[i]));
  if (peak < 1e-4f) return std::nullopt;  // -80 dBFS: nothing there
  const float threshold = static_cast<float>(kOnsetFraction) * peak;
  const long quiet = std::lround(kQuietBeforeOnset * sample_rate);
  std::vector<long> onsets;
  long last_loud = -quiet - 1;
  for (long i = begin; i < end; ++i) {
    if (std::fabs(x[i]) < threshold) continue;
    if (i - last_loud > quiet) onsets.push_back(i);
    last_loud = i;
  }
  const long gap1 = std::lround(kBlipGap1 * sample_rate),
             gap12 = std::lround((kBlipGap1 + kBlipGap2) * sample_rate),
             tolerance = std::lround(kGapTolerance * sample_rate);
  for (size_t a = 0; a < onsets.size(); ++a) {
    bool second = false, third = false;
    for (size_t b = a + 1; b < onsets.size(); ++b) {
      second = second || std::labs(onsets[b] - onsets[a] - gap1) <= tolerance;
      third = third || std::labs(onsets[b] - onsets[a] - gap12) <= tolerance;
    }
    if (second && third) return onsets[a];
  }
  return std::nullopt;
}

BlipAlignment blip_alignment(std::span<const float> input, std::span<const float> output,
                             int sample_rate) {
  BlipAlignment r;
  const long n_in = static_cast<long>(input.size()), n_out = static_cast<long>(output.size());
  const long search = std::lround(kBlipSearchSeconds * sample_rate);
  const long shift = std::lround(kBlipMaxShiftSeconds * sample_rate);
  const long group = std::lround(kBlipGroupSeconds * sample_rate);
  r.input_head = find_blip_group(input, 0, search, sample_rate);
  r.input_tail = find_blip_group(input, n_in - search, n_in, sample_rate);
  if (!r.input_head || !r.input_tail || *r.input_tail <= *r.input_head) {
    r.problem = "the input has no alignment blips at both ends (not a plan's reamp signal)";
    return r;
  }
  const auto find_near = [&](long onset) -> std::optional<long> {
    auto found = find_blip_group(output, onset - shift, onset + group + shift, sample_rate);
    if (found) return *found - onset;
    return std::nullopt;
  };
  r.head_delay = find_near(*r.input_head);
  r.tail_delay = find_near(*r.input_tail);
  if (!r.head_delay) {
    r.problem = "no alignment blips at the start (near " +
                seconds_text(*r.input_head, sample_rate) +
                "): the recording started late, or the amp was not connected yet";
  } else if (!r.tail_delay) {
    r.problem = n_out < *r.input_tail + group
                    ? "no alignment blips at the end: the recording stops at " +
                          seconds_text(n_out, sample_rate) + ", before the end blips at " +
                          seconds_text(*r.input_tail, sample_rate)
                    : "no alignment blips at the end (near " +
                          seconds_text(*r.input_tail, sample_rate) +
                          "): samples were dropped or the recording was cut";
  } else if (std::labs(*r.tail_delay - *r.head_delay) > kBlipTolerance) {
    const long drift = *r.tail_delay - *r.head_delay;
    r.problem = "the end blips are " + std::to_string(std::labs(drift)) + " samples " +
                (drift > 0 ? "later" : "earlier") + " than the start blips: samples were " +
                (drift > 0 ? "inserted" : "dropped") +
                " or the interface's clock drifted during the take";
  }
  return r;
}

}  // namespace namk
