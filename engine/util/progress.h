// Progress reporting for long work: a redrawn bar with ETA on a terminal, plain
// log lines (every ~10%) otherwise, nothing when quiet.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace arecipe {

class Progress {
 public:
  Progress(std::string label, int64_t total, bool enabled = true);
  ~Progress();
  // Advances by `n`; `note` (e.g. "loss 0.0123") is shown beside the bar.
  void advance(int64_t n = 1, const std::string& note = "");
  void finish();

 private:
  void draw(const std::string& note);
  std::string label_;
  int64_t total_, done_ = 0;
  bool enabled_, tty_, finished_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
};

std::string format_duration(double seconds);  // "1:05", "1:02:03"

}  // namespace arecipe
