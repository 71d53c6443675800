// See alignment.h. Direct correlation (no FFT): the window and lag range are bounded, so the cost
// is at most 2^15 x (2 x 2400 + 1) multiply-adds per output, well under a second.
#include "data/alignment.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

namespace namk {

namespace {

// First difference: kills DC and tilts towards the highs, where the peak is sharp.
std::vector<float> high_pass(std::span<const float> x, size_t n) {
  std::vector<float> h(n, 0.0f);
  for (size_t t = 1; t < n; ++t) h[t] = x[t] - x[t - 1];
  return h;
}

}  // namespace

long estimate_delay(std::span<const float> input, std::span<const float> output, long max_delay) {
  const long n = static_cast<long>(std::min(input.size(), output.size()));
  const long lag = std::min(max_delay, n / 4);
  const long window = std::min<long>(1L << 15, n - 2 * lag);
  if (window < 64) return 0;
  const std::vector<float> hx = high_pass(input, n), hy = high_pass(output, n);

  // The loudest window of the input: correlation over silence would pick a lag at random.
  std::vector<double> energy_x(n + 1, 0.0), energy_y(n + 1, 0.0);
  for (long t = 0; t < n; ++t) {
    energy_x[t + 1] = energy_x[t] + double(hx[t]) * hx[t];
    energy_y[t + 1] = energy_y[t] + double(hy[t]) * hy[t];
  }
  long start = lag;
  double best_energy = -1;
  for (long s = lag; s + window + lag <= n; s += 256)
    if (energy_x[s + window] - energy_x[s] > best_energy) {
      best_energy = energy_x[s + window] - energy_x[s];
      start = s;
    }

  using Map = Eigen::Map<const Eigen::VectorXf>;
  const Map x_window(hx.data() + start, window);
  long best_lag = 0;
  double best_score = -1;
  for (long d = -lag; d <= lag; ++d) {
    const double ey = energy_y[start + d + window] - energy_y[start + d];
    if (ey <= 0) continue;
    // Normalised by the output window's energy so a louder stretch of output does not win.
    const double score =
        std::fabs(double(x_window.dot(Map(hy.data() + start + d, window)))) / std::sqrt(ey);
    if (score > best_score) {
      best_score = score;
      best_lag = d;
    }
  }
  return best_lag;
}

}  // namespace namk
