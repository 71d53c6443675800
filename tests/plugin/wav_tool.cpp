// A helper for tests/plugin/lv2_test.sh, which compares a third-party host's output with render's:
//   wav_tool signal PATH RATE SECONDS     writes a guitar-like test signal (decaying plucks)
//   wav_tool compare A B TOL [SHIFT]      max |A[t + SHIFT] - B[t]| over B; exit 1 above TOL
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "audio/audio_file.h"

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (what == "signal" && argc == 5) {
    const int rate = std::atoi(argv[3]);
    const long n = std::lround(std::atof(argv[4]) * rate);
    std::vector<float> x(static_cast<size_t>(n));
    // A pluck every 0.25 s of a few harmonics, decaying, so the model sees level changes and silence.
    for (long t = 0; t < n; ++t) {
      const double s = static_cast<double>(t % (rate / 4)) / rate, f = 110.0 * (1 + (t / (rate / 4)) % 3);
      double v = 0;
      for (int h = 1; h <= 4; ++h) v += std::sin(2 * M_PI * f * h * s) / h;
      x[static_cast<size_t>(t)] = static_cast<float>(0.4 * v * std::exp(-6.0 * s));
    }
    namk::write_wav(argv[2], x, rate);
    return 0;
  }
  if (what == "compare" && (argc == 5 || argc == 6)) {
    const auto warn = [](const std::string&) {};
    const namk::Audio a = namk::read_audio(argv[2], warn), b = namk::read_audio(argv[3], warn);
    const double tol = std::atof(argv[4]);
    const long shift = argc == 6 ? std::atol(argv[5]) : 0;
    if (a.samples.size() < b.samples.size()) {
      std::printf("compare: %s has %zu samples, fewer than %s's %zu\n", argv[2], a.samples.size(), argv[3],
                  b.samples.size());
      return 1;
    }
    double worst = 0, peak = 0;
    const long n = static_cast<long>(b.samples.size()) - shift;
    for (long t = 0; t < n; ++t) {
      worst = std::max(worst, std::fabs(double(a.samples[size_t(t + shift)]) - b.samples[size_t(t)]));
      peak = std::max(peak, std::fabs(double(b.samples[size_t(t)])));
    }
    std::printf("compare: max difference %.3g over %ld samples (peak %.3g, tolerance %.3g)\n", worst, n, peak, tol);
    return worst <= tol && peak > 1e-4 ? 0 : 1;  // a silent result would prove nothing
  }
  std::fprintf(stderr, "usage: wav_tool signal PATH RATE SECONDS | compare A B TOL [SHIFT]\n");
  return 2;
}
