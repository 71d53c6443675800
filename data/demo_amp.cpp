// See demo_amp.h. Everything runs in double and is rounded to float32 once, at the end, so the
// bytes depend only on the seed and libm. Event layout: a cycle of note runs, chords, sweeps and
// noise bursts, with random levels so the model sees both clean and driven playing.
#include "data/demo_amp.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/json.h"
#include "audio/audio_file.h"
#include "data/biquad.h"
#include "data/rng.h"

namespace namk {

namespace {

constexpr double kPi = 3.14159265358979323846;
const double kLevels[] = {0.03, 0.1, 0.3, 0.7};  // several playing dynamics, about -30 to -3 dB

// Coefficient of a one-pole smoother with cutoff `hz`: y += a (x - y).
double one_pole(double hz, int sample_rate) {
  return 1.0 - std::exp(-2.0 * kPi * hz / sample_rate);
}

void add_pluck(std::vector<double>& out, size_t at, double freq, double level, double seconds,
               Rng& rng, int sample_rate) {
  // Karplus-Strong: a noise burst circulating in a delay line one period long, averaged
  // (low-passed) on every pass, decays like a plucked string.
  const size_t period = std::max<size_t>(2, static_cast<size_t>(std::lround(sample_rate / freq)));
  std::vector<double> line(period);
  const double brightness = uniform(rng, 0.3, 0.9);
  double prev = 0;
  for (auto& v : line) prev = v = prev + brightness * (uniform(rng, -1, 1) - prev);
  const double decay = uniform(rng, 0.994, 0.999);
  const size_t n = static_cast<size_t>(seconds * sample_rate);
  for (size_t i = 0, k = 0; i < n && at + i < out.size(); ++i, k = (k + 1) % period) {
    const double next = line[(k + 1) % period];
    out[at + i] += level * line[k];
    line[k] = decay * 0.5 * (line[k] + next);
  }
}

void add_sweep(std::vector<double>& out, size_t at, double level, double seconds, int sample_rate) {
  const double f0 = 60, f1 = 8000;
  const size_t n = static_cast<size_t>(seconds * sample_rate);
  double phase = 0;
  for (size_t i = 0; i < n && at + i < out.size(); ++i) {
    const double f = f0 * std::pow(f1 / f0, double(i) / n);
    phase += 2 * kPi * f / sample_rate;
    const double fade = std::min({1.0, i / (0.01 * sample_rate), (n - i) / (0.01 * sample_rate)});
    out[at + i] += level * fade * std::sin(phase);
  }
}

void add_noise(std::vector<double>& out, size_t at, double level, double seconds, Rng& rng,
               int sample_rate) {
  const size_t n = static_cast<size_t>(seconds * sample_rate);
  const double a = one_pole(uniform(rng, 500, 6000), sample_rate);
  double lp = 0;
  for (size_t i = 0; i < n && at + i < out.size(); ++i) {
    lp += a * (uniform(rng, -1, 1) - lp);
    out[at + i] += level * lp * 2.0;
  }
}

double midi_hz(double note) { return 440.0 * std::pow(2.0, (note - 69) / 12.0); }

// A dataset being written into a folder (created if missing): every file written is listed in
// result.files, in the order written.
class DatasetFolder {
 public:
  explicit DatasetFolder(const std::string& dir) : dir_(dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw input_error(dir, "", "a folder that can be created", ec.message());
  }
  std::string path(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }
  void wav(const std::string& name, const std::vector<float>& x) {
    write_wav(path(name), x, kDemoSampleRate);
    result.files.push_back(path(name));
  }
  void text(const std::string& name, const std::string& content) {
    write_text_atomically(path(name), content);
    result.files.push_back(path(name));
  }
  DemoDataset result;

 private:
  std::string dir_;
};

}  // namespace

std::vector<float> demo_guitar_input(std::uint64_t seed, double seconds, int sample_rate) {
  const size_t n = static_cast<size_t>(std::max(0.0, seconds) * sample_rate);
  std::vector<double> x(n, 0.0);
  Rng rng = make_rng(seed, 0);
  size_t t = static_cast<size_t>(0.05 * sample_rate);
  for (int section = 0; t < n; ++section) {
    const double level = kLevels[uniform_index(rng, 4)];
    switch (section % 4) {
      case 0: {  // a run of single notes from low E up to about E5
        const int notes = 4 + static_cast<int>(uniform_index(rng, 5));
        for (int i = 0; i < notes; ++i) {
          add_pluck(x, t, midi_hz(40 + static_cast<double>(uniform_index(rng, 37))), level, 1.5,
                    rng, sample_rate);
          t += static_cast<size_t>(uniform(rng, 0.15, 0.45) * sample_rate);
        }
        break;
      }
      case 1: {  // a strummed chord: root plus a major or minor shape, strings a few ms apart
        const double root = 40 + static_cast<double>(uniform_index(rng, 12));
        const double shape[2][6] = {{0, 7, 12, 16, 19, 24}, {0, 7, 12, 15, 19, 24}};
        const auto& s = shape[uniform_index(rng, 2)];
        const double spacing = uniform(rng, 0.008, 0.025);
        for (int i = 0; i < 6; ++i)
          add_pluck(x, t + static_cast<size_t>(i * spacing * sample_rate), midi_hz(root + s[i]),
                    level / 2.5, 2.0, rng, sample_rate);
        t += static_cast<size_t>(uniform(rng, 1.0, 1.8) * sample_rate);
        break;
      }
      case 2: {
        const double length = uniform(rng, 0.8, 1.4);
        add_sweep(x, t, level, length, sample_rate);
        t += static_cast<size_t>((length + 0.1) * sample_rate);
        break;
      }
      default: {
        const double length = uniform(rng, 0.3, 0.6);
        add_noise(x, t, level, length, rng, sample_rate);
        t += static_cast<size_t>((length + uniform(rng, 0.05, 0.2)) * sample_rate);
        break;
      }
    }
  }
  double peak = 0;
  for (double v : x) peak = std::max(peak, std::fabs(v));
  std::vector<float> out(n);
  const double scale = peak > 0 ? 0.8 / peak : 0.0;
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(x[i] * scale);
  return out;
}

std::vector<float> demo_amp(std::span<const float> x, double gain, double tone, int sample_rate) {
  const double pre = std::pow(10.0, gain / 10.0 * 40.0 / 20.0);  // 0..10 -> 0..40 dB
  const double tone_mix = 0.15 + 0.17 * tone;                    // treble 0.15x .. 1.85x
  const double a_in = one_pole(40, sample_rate), a_lp = one_pole(6000, sample_rate),
               a_env = one_pole(8, sample_rate), a_dc = one_pole(20, sample_rate),
               a_tone = one_pole(700, sample_rate), a_cab = one_pole(9000, sample_rate);
  double in_lp = 0, u_lp = 0, env = 0, dc = 0, tone_lp = 0, cab = 0;
  std::vector<float> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    in_lp += a_in * (x[i] - in_lp);
    u_lp += a_lp * (pre * (x[i] - in_lp) - u_lp);
    // Bias sags as the envelope grows: the clipper's asymmetry depends on recent playing.
    env += a_env * (std::fabs(u_lp) - env);
    const double bias = 0.25 - 0.15 * std::tanh(env);
    const double v = std::tanh(u_lp + bias) - std::tanh(bias);
    dc += a_dc * (v - dc);
    const double w = v - dc;
    tone_lp += a_tone * (w - tone_lp);
    cab += a_cab * (tone_lp + tone_mix * (w - tone_lp) - cab);
    y[i] = static_cast<float>(0.25 * cab);
  }
  return y;
}

std::vector<float> hard_amp(std::span<const float> x, double gain, double bass, double mid,
                            double treble, int sample_rate) {
  using T = BiquadKind;
  const double pre = std::pow(10.0, gain / 10.0 * 36.0 / 20.0);    // 0..10 -> 0..36 dB
  const auto db = [](double knob) { return (knob - 5.0) * 2.4; };  // 0..10 -> -12..+12 dB
  SampleBiquad in_hp = biquad(T::HighPass, 80, 0.7, 0, sample_rate);
  SampleBiquad couple = biquad(T::HighPass, 40, 0.7, 0, sample_rate);
  SampleBiquad stack[] = {biquad(T::LowShelf, 120, 0.7, db(bass), sample_rate),
                          biquad(T::Peak, 650, 0.8, db(mid), sample_rate),
                          biquad(T::HighShelf, 2800, 0.7, db(treble), sample_rate)};
  SampleBiquad cab[] = {biquad(T::LowPass, 5000, 0.8, 0, sample_rate),
                        biquad(T::LowPass, 9000, 0.6, 0, sample_rate),
                        biquad(T::HighPass, 70, 0.7, 0, sample_rate)};
  // The supply sags with the power stage's envelope (fast attack, slow release): loud playing
  // lowers the drive, so the output depends on the last ~100 ms, not just the current sample.
  const double attack = one_pole(100, sample_rate), release = one_pole(8, sample_rate);
  double env = 0;
  const long n = static_cast<long>(x.size());
  std::vector<float> y(x.size(), 0.0f);
  for (long i = 0; i + kHardAmpLatency < n; ++i) {
    const double u = pre * in_hp(x[i]);
    double v = couple(std::tanh(u + 0.3) - std::tanh(0.3));
    for (auto& f : stack) v = f(v);
    const double drive = 2.5 / (1.0 + 1.5 * env);
    const double p = std::tanh(drive * v);
    env += (std::fabs(p) > env ? attack : release) * (std::fabs(p) - env);
    double c = p;
    for (auto& f : cab) c = f(c);
    y[i + kHardAmpLatency] = static_cast<float>(0.45 * c);
  }
  return y;
}

DemoDataset write_hard_dataset(const std::string& dir, std::uint64_t seed, double seconds,
                               double test_seconds) {
  DatasetFolder folder(dir);
  const std::vector<float> x = demo_guitar_input(seed, seconds);
  const std::vector<float> x_test = demo_guitar_input(seed + 1000, test_seconds);
  folder.wav("input.wav", x);
  folder.wav("input_test.wav", x_test);

  struct Setting {
    double knobs[4];
    bool test;
  };
  std::vector<Setting> settings;
  for (int k = 0; k < 4; ++k)
    for (double v : {0.0, 2.5, 5.0, 7.5, 10.0}) {
      if (k > 0 && v == 5.0) continue;  // the all-5 setting once
      Setting s{{5, 5, 5, 5}, false};
      s.knobs[k] = v;
      settings.push_back(s);
    }
  // Mixed settings never recorded for training, played differently.
  const double mixed[5][4] = {{8, 2, 7, 8}, {3, 8, 2, 6}, {6, 6, 8, 2}, {9, 4, 3, 9}, {2, 3, 6, 4}};
  for (const auto& m : mixed) settings.push_back({{m[0], m[1], m[2], m[3]}, true});

  const char* names[] = {"gain", "bass", "mid", "treble"};
  std::string entries;
  for (const Setting& s : settings) {
    std::string name = s.test ? "test" : "output";
    std::string knobs;
    for (int k = 0; k < 4; ++k) {
      name += std::string("_") + names[k] + format_number(s.knobs[k]);
      knobs += std::string(k ? ", " : "") + "\"" + names[k] + "\": " + format_number(s.knobs[k]);
    }
    name += ".wav";
    const auto& in = s.test ? x_test : x;
    folder.wav(name, hard_amp(in, s.knobs[0], s.knobs[1], s.knobs[2], s.knobs[3]));
    entries += std::string(entries.empty() ? "" : ",\n") + "    {\"input_file\": \"" +
               (s.test ? "input_test.wav" : "input.wav") +
               "\", \"output_file\": " + json_quote(name) + ", \"knobs\": {" + knobs +
               "}, \"split\": \"" + (s.test ? "test" : "train") + "\"}";
  }
  std::string knob_list;
  for (int k = 0; k < 4; ++k)
    knob_list += std::string(k ? ",\n" : "") + "    {\"name\": \"" + names[k] +
                 "\", \"min\": 0, \"max\": 10, \"default\": 5}";
  folder.text("dataset.json",
              "{\n  \"knobs\": [\n" + knob_list + "\n  ],\n  \"entries\": [\n" + entries + "\n  ]\n}\n");
  // Delay "auto": the protocol measures the estimator too (the amp's latency is kHardAmpLatency).
  folder.text("data.json",
              "{\n  \"dataset\": \"dataset.json\",\n  \"sample_rate\": " + std::to_string(kDemoSampleRate) +
                  ",\n  \"delay\": \"auto\",\n  \"validation_tail_seconds\": 1.0,\n"
                  "  \"ny\": 8192\n}\n");
  folder.result.data_config = folder.path("data.json");
  return folder.result;
}

DemoDataset write_demo_dataset(const std::string& dir, std::uint64_t seed, double seconds) {
  DatasetFolder folder(dir);
  const std::vector<float> x = demo_guitar_input(seed, seconds);
  folder.wav("input.wav", x);

  std::string entries;
  for (double gain : {0.0, 2.5, 5.0, 7.5, 10.0})
    for (double tone : {0.0, 5.0, 10.0}) {
      const std::string name = "output_gain" + format_number(gain) + "_tone" + format_number(tone) + ".wav";
      folder.wav(name, demo_amp(x, gain, tone));
      // Interior settings held out whole: they measure how well the model interpolates.
      const bool test = tone == 5.0 && (gain == 2.5 || gain == 7.5);
      entries += std::string(entries.empty() ? "" : ",\n") +
                 "    {\"input_file\": \"input.wav\", \"output_file\": " + json_quote(name) +
                 ", \"knobs\": {\"gain\": " + format_number(gain) + ", \"tone\": " + format_number(tone) +
                 "}, \"split\": \"" + (test ? "test" : "train") + "\"}";
    }
  const std::string dataset =
      "{\n  \"knobs\": [\n"
      "    {\"name\": \"gain\", \"min\": 0, \"max\": 10, \"default\": 5},\n"
      "    {\"name\": \"tone\", \"min\": 0, \"max\": 10, \"default\": 5}\n  ],\n"
      "  \"entries\": [\n" +
      entries + "\n  ]\n}\n";
  folder.text("dataset.json", dataset);

  // The virtual amp has no latency, so the delay is stated rather than estimated. Validation holds
  // out the last 3 s of every setting (1 s of short datasets): a single second can be a quiet
  // passage whose ESR says little.
  const std::string tail = seconds >= 16 ? "3.0" : "1.0";
  const std::string config =
      "{\n  \"dataset\": \"dataset.json\",\n  \"sample_rate\": " + std::to_string(kDemoSampleRate) +
      ",\n  \"delay\": 0,\n  \"validation_tail_seconds\": " + tail + ",\n  \"ny\": 8192\n}\n";
  folder.text("data.json", config);
  folder.result.data_config = folder.path("data.json");
  return folder.result;
}

}  // namespace namk
