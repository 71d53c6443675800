// The reamp signal of a capture plan (SESSION/input.wav): what is played into the amp at every
// setting. Layout in time, fixed so the checks and the dataset know where everything is:
//   silence | blip group | silence (noise floor) | sweeps, noise bursts, guitar phrases | silence |
//   blip group | silence
// Deterministic for a seed. The dataset trims training to the music part (music_begin..music_end):
// blips and silence teach a model nothing and would dilute the validation tail.
#pragma once

#include <cstdint>
#include <vector>

namespace namk {

// Seconds from the start (or, for the tail, to the end) of the signal.
inline constexpr double kReampHeadBlips = 0.5;         // first onset of the head group
inline constexpr double kReampNoiseFloorBegin = 1.25;  // silence measured as the noise floor
inline constexpr double kReampMusicBegin = 2.25;
inline constexpr double kReampMusicEndBeforeEnd = 1.75;
inline constexpr double kReampTailBlipsBeforeEnd = 1.25;
// Shortest signal: the frame above (4 s) plus 4 s of music.
inline constexpr double kReampMinSeconds = 8.0;

struct ReampSignal {
  std::vector<float> samples;
  int sample_rate = 0;
  double music_begin = 0, music_end = 0;  // seconds
};

// `rich`: the anchor take's signal, with sweeps and noise bursts at more levels and phrases at
// three overall dynamics, so one long take shows the amp's nonlinearity from whisper to full.
ReampSignal make_reamp_signal(double seconds, std::uint64_t seed, bool rich, int sample_rate);

}  // namespace namk
