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

}  // namespace namk
