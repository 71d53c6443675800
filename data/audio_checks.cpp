// See audio_checks.h.
#include "data/audio_checks.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "base/error.h"

namespace namk {

namespace {

std::string at_sample(size_t i, int sample_rate) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "sample %zu (%.3f s)", i, double(i) / sample_rate);
  return buf;
}

std::string format_db(double db) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f dBFS", db);
  return buf;
}

}  // namespace

double rms_db(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += double(v) * v;
  if (x.empty() || sum == 0) return -std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(sum / double(x.size()));
}

void check_finite(std::span<const float> x, const std::string& file, int sample_rate) {
  for (size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]))
      throw input_error(
          file, at_sample(i, sample_rate), "finite samples",
          std::string(std::isnan(x[i]) ? "NaN" : "Inf") +
              " (the file is corrupt or was exported from a broken float signal chain)");
}

void check_not_clipped(std::span<const float> x, const std::string& file, int sample_rate) {
  for (size_t i = 0; i < x.size(); ++i)
    if (std::fabs(x[i]) >= kClipLevel) {
      char found[96];
      std::snprintf(found, sizeof found, "|y| = %.6f: the output clipped", std::fabs(x[i]));
      throw input_error(file, at_sample(i, sample_rate), "|y| < 1.0 (no clipping)",
                        std::string(found) + "; re-record with the output level lowered a few dB");
    }
}

void check_not_silent(std::span<const float> x, const std::string& file) {
  const double db = rms_db(x);
  if (db < kSilentRmsDb)
    throw input_error(file, "", "audio with signal (RMS above " + format_db(kSilentRmsDb) + ")",
                      "silent or near-silent audio (RMS " +
                          (std::isinf(db) ? "-inf dBFS" : format_db(db)) +
                          "); check the recording chain");
}

size_t signal_end(std::span<const float> x) {
  constexpr size_t block = 1024;
  for (size_t end = x.size(); end > 0;) {
    const size_t begin = end > block ? end - block : 0;
    if (rms_db(x.subspan(begin, end - begin)) > kSignalBlockRmsDb) return end;
    end = begin;
  }
  return 0;
}

}  // namespace namk
