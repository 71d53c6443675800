// See progress.h.
#include "train/progress.h"

#include <unistd.h>

#include <cmath>

namespace namk {

std::string format_duration(double seconds) {
  char text[32];
  const long s = std::lround(std::max(0.0, seconds));
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s % 3600 / 60);
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%lds", s);
  return text;
}

Progress::Progress(std::FILE* out, bool quiet)
    : mode_(quiet ? Mode::Quiet : (isatty(fileno(out)) ? Mode::Bar : Mode::Lines)), out_(out) {}

void Progress::begin_epoch(int64_t epoch, int64_t epochs, int64_t steps) {
  if (run_steps_ == 0) run_start_ = std::chrono::steady_clock::now();
  epoch_ = epoch;
  epochs_ = epochs;
  steps_ = steps;
  epoch_start_ = std::chrono::steady_clock::now();
}

void Progress::step(int64_t done, double loss, double samples_per_second) {
  ++run_steps_;
  if (mode_ == Mode::Quiet || mode_ == Mode::Silent) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(steps_ - done) : 0;
  // The run's ETA from this process's mean time per step, which includes the validation and
  // report writing of the epochs it has finished.
  const double per_step = std::chrono::duration<double>(now - run_start_).count() / static_cast<double>(run_steps_);
  const double run_eta = per_step * static_cast<double>((epochs_ - epoch_ - 1) * steps_ + steps_ - done);
  if (mode_ == Mode::Bar) {
    constexpr int kWidth = 30;
    const int filled = steps_ > 0 ? static_cast<int>(kWidth * done / steps_) : kWidth;
    std::fprintf(out_, "\repoch %lld/%lld [%-*s] %lld/%lld  %.0f samples/s  loss %.4g  ETA %s (run %s) \x1b[K",
                 static_cast<long long>(epoch_ + 1), static_cast<long long>(epochs_), kWidth,
                 std::string(static_cast<size_t>(filled), '#').c_str(), static_cast<long long>(done),
                 static_cast<long long>(steps_), samples_per_second, loss, format_duration(eta).c_str(),
                 format_duration(run_eta).c_str());
    bar_drawn_ = true;
  } else if (done == steps_ || done % std::max<int64_t>(1, steps_ / 4) == 0) {
    // Lines: a few per epoch, so a CI log shows progress without thousands of lines.
    std::fprintf(out_, "epoch %lld/%lld step %lld/%lld  %.0f samples/s  loss %.4g  ETA %s (run %s)\n",
                 static_cast<long long>(epoch_ + 1), static_cast<long long>(epochs_),
                 static_cast<long long>(done), static_cast<long long>(steps_), samples_per_second,
                 loss, format_duration(eta).c_str(), format_duration(run_eta).c_str());
  }
  std::fflush(out_);
}

void Progress::end_epoch(const std::string& summary) {
  if (mode_ != Mode::Quiet) message(summary);
}

void Progress::info(const std::string& line) {
  if (mode_ != Mode::Quiet) message(line);
}

void Progress::message(const std::string& line) {
  if (mode_ == Mode::Silent) return;
  if (bar_drawn_) std::fprintf(out_, "\r\x1b[K");
  bar_drawn_ = false;
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

}  // namespace namk
