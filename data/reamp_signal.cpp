// See reamp_signal.h. The music part opens with the systematic material (log sweeps at several
// levels show the amp's frequency response and how it changes with level; noise bursts at
// several levels show its dynamics on a dense spectrum), then guitar-like phrases from the demo
// synthesizer, the material the model will be played with. Phrases come last so that the
// validation tail the loader holds out is playing, not a sweep.
#include "data/reamp_signal.h"

#include <algorithm>
#include <cmath>

#include "data/blips.h"
#include "data/demo_amp.h"
#include "data/rng.h"

namespace namk {

namespace {

constexpr double kPi = 3.14159265358979323846;

size_t samples(double seconds, int sample_rate) {
  return static_cast<size_t>(std::lround(seconds * sample_rate));
}

// Log sweep 50 Hz .. 10 kHz with 10 ms fades.
size_t add_sweep(std::vector<double>& x, size_t at, double level, double seconds, int sr) {
  const size_t n = samples(seconds, sr);
  const double f0 = 50, f1 = 10000, fade = 0.01 * sr;
  double phase = 0;
  for (size_t i = 0; i < n && at + i < x.size(); ++i) {
    phase += 2 * kPi * f0 * std::pow(f1 / f0, double(i) / double(n)) / sr;
    x[at + i] += level * std::min({1.0, double(i) / fade, double(n - i) / fade}) * std::sin(phase);
  }
  return at + n;
}

// White noise through a 5 kHz one-pole low-pass, scaled so its peak is about `level`.
size_t add_noise(std::vector<double>& x, size_t at, double level, double seconds, Rng& rng,
                 int sr) {
  const size_t n = samples(seconds, sr);
  const double a = 1.0 - std::exp(-2.0 * kPi * 5000.0 / sr), fade = 0.005 * sr;
  double lp = 0;
  for (size_t i = 0; i < n && at + i < x.size(); ++i) {
    lp += a * (uniform(rng, -1, 1) - lp);
    x[at + i] += level * 1.6 * lp * std::min({1.0, double(i) / fade, double(n - i) / fade});
  }
  return at + n;
}

// Level of the rich signal's phrases at fraction `f` of their length `n`.
double dynamics(double f, size_t n, int sr) {
  const double levels[3] = {0.25, 0.6, 1.0};
  const double ramp = 0.05 * sr / std::max<double>(1.0, double(n));  // 50 ms as a fraction
  const int third = std::min(2, static_cast<int>(f * 3));
  const double into = f - third / 3.0;  // fraction since this third began
  if (third == 0 || into >= ramp) return levels[third];
  return levels[third - 1] + (levels[third] - levels[third - 1]) * into / ramp;
}

}  // namespace

ReampSignal make_reamp_signal(double seconds, std::uint64_t seed, bool rich, int sample_rate) {
  seconds = std::max(seconds, kReampMinSeconds);
  const int sr = sample_rate;
  ReampSignal out;
  out.sample_rate = sr;
  out.music_begin = kReampMusicBegin;
  out.music_end = seconds - kReampMusicEndBeforeEnd;
  std::vector<double> x(samples(seconds, sr), 0.0);
  add_blip_group(x, samples(kReampHeadBlips, sr), sr);
  add_blip_group(x, x.size() - samples(kReampTailBlipsBeforeEnd, sr), sr);

  const double music = out.music_end - out.music_begin;
  const std::vector<double> sweep_levels =
      rich ? std::vector<double>{0.02, 0.06, 0.15, 0.35, 0.7} : std::vector<double>{0.05, 0.2, 0.6};
  const std::vector<double> noise_levels =
      rich ? std::vector<double>{0.01, 0.03, 0.08, 0.2, 0.4, 0.7}
           : std::vector<double>{0.02, 0.08, 0.25, 0.6};
  // About 15% sweeps and 10% noise; the rest is playing.
  const double sweep_seconds = std::min(1.0, 0.15 * music / double(sweep_levels.size()));
  const double noise_seconds = std::min(0.5, 0.10 * music / double(noise_levels.size()));
  Rng rng = make_rng(seed, rich ? 11 : 10);
  size_t t = samples(out.music_begin, sr);
  for (double level : sweep_levels) t = add_sweep(x, t, level, sweep_seconds, sr);
  for (double level : noise_levels)
    t = add_noise(x, t, level, noise_seconds, rng, sr) + samples(0.05, sr);

  const size_t end = samples(out.music_end, sr);
  const std::vector<float> phrases =
      demo_guitar_input(seed * 2 + (rich ? 1 : 0), double(end - std::min(end, t)) / sr, sr);
  const size_t fade = samples(0.02, sr);
  for (size_t i = 0; i < phrases.size() && t + i < end; ++i) {
    // The rich signal plays its phrases at three dynamics (-12, -4.4 and 0 dB), a third of the
    // time each, with 50 ms ramps between them rather than jumps.
    const double dynamic =
        rich ? dynamics(double(i) / double(phrases.size()), phrases.size(), sr) : 1.0;
    x[t + i] += dynamic * std::min(1.0, double(phrases.size() - i) / double(fade)) * phrases[i];
  }
  out.samples.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i) out.samples[i] = static_cast<float>(x[i]);
  return out;
}

}  // namespace namk
