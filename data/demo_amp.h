// The built-in demo: a deterministic "virtual amp" with gain and tone knobs, a guitar-like test
// signal, and a writer for a complete multi-knob dataset made from them. Same seed, same bytes
// (on one platform: the amp uses libm's tanh/exp). Not a model of any real amp: just nonlinear,
// knob-dependent and with a little memory, so a model has something to learn.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace namk {

inline constexpr int kDemoSampleRate = 48000;

// Plucked notes (Karplus-Strong), strummed chords, sine sweeps and noise bursts at several levels,
// peak 0.8. The seed picks notes, levels and timings.
std::vector<float> demo_guitar_input(std::uint64_t seed, double seconds,
                                     int sample_rate = kDemoSampleRate);

// gain, tone in [0, 10]: pre-gain -> asymmetric soft clipper whose bias sags with the signal
// envelope (the memory) -> tilt tone filter -> output level. Output peak stays below 1.
std::vector<float> demo_amp(std::span<const float> x, double gain, double tone,
                            int sample_rate = kDemoSampleRate);

struct DemoDataset {
  std::vector<std::string> files;  // every file written, input first, data config last
  std::string data_config;         // path of the data config ("data.json")
};

// Writes into `dir` (created if missing): input.wav, one output per setting of gain {0, 2.5, 5,
// 7.5, 10} x tone {0, 5, 10} with (2.5, 5) and (7.5, 5) marked "split": "test", dataset.json
// (multi-knob form) and data.json (a data config pointing at it). All files are written atomically.
DemoDataset write_demo_dataset(const std::string& dir, std::uint64_t seed, double seconds);

// The quality protocol's harder amp (scripts/quality.sh): gain, bass, mid, treble in [0, 10].
// Input high-pass -> pre-gain -> asymmetric preamp clipper -> coupling high-pass -> tone stack
// (low shelf 120 Hz, mid peak 650 Hz, high shelf 2.8 kHz, each +-12 dB at the knob's ends) ->
// power-amp clipper whose drive sags with the signal envelope -> cab (low-passes, high-pass) ->
// kHardAmpLatency samples of latency. Output peak stays below 1.
inline constexpr long kHardAmpLatency = 3;
std::vector<float> hard_amp(std::span<const float> x, double gain, double bass, double mid,
                            double treble, int sample_rate = kDemoSampleRate);

// Writes the protocol's dataset into `dir`: input.wav (`seconds` of playing from `seed`), one-knob
// sweeps through it (each knob at 0, 2.5, 5, 7.5, 10 with the others at 5: 17 settings, "train"),
// input_test.wav (other playing, seed + 1000, `test_seconds`), five mixed settings through it
// ("test"), dataset.json and data.json (delay "auto", 1 s validation tails).
DemoDataset write_hard_dataset(const std::string& dir, std::uint64_t seed, double seconds,
                               double test_seconds);

}  // namespace namk
