// Training progress on the terminal: a bar redrawn in place for the epoch in progress (steps,
// samples/s, loss, the epoch's ETA and the whole run's) and one summary line per epoch. When stderr
// is not a terminal (CI logs, pipes) it prints plain lines instead of redrawing; --quiet prints
// only warnings (message()), nothing of the progress or the informational lines (info()).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace namk {

class Progress {
 public:
  // Silent: nothing at all, not even warnings (the ranks other than 0 of a run across processes,
  // whose warnings rank 0 prints too: every rank sees the same data and numbers).
  enum class Mode { Bar, Lines, Quiet, Silent };
  // Bar when `out` is a terminal, Lines otherwise; Quiet when asked.
  Progress(std::FILE* out, bool quiet);
  explicit Progress(Mode mode, std::FILE* out = stderr) : mode_(mode), out_(out) {}

  void begin_epoch(int64_t epoch, int64_t epochs, int64_t steps);
  void step(int64_t done, double loss, double samples_per_second);
  void end_epoch(const std::string& summary);
  // A line that is not part of the bar and that --quiet still prints (warnings, interruptions).
  void message(const std::string& line);
  // An informational line (dataset summary, resuming...): not printed when quiet.
  void info(const std::string& line);

  Mode mode() const { return mode_; }

 private:
  Mode mode_;
  std::FILE* out_;
  int64_t epoch_ = 0, epochs_ = 0, steps_ = 0;
  std::chrono::steady_clock::time_point epoch_start_, run_start_;
  int64_t run_steps_ = 0;  // steps taken since the first begin_epoch (this process's part of the run)
  bool bar_drawn_ = false;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace namk
