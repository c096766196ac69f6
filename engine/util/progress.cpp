#include "engine/util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace arecipe {

std::string format_duration(double seconds) {
  auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total > 0 ? total : 1), enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0), start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n, const std::string& note) {
  done_ += n;
  if (enabled_) draw(note);
}

void Progress::draw(const std::string& note) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double frac = static_cast<double>(done_) / static_cast<double>(total_);
  const double eta = done_ > 0 ? elapsed * (1.0 - frac) / frac : 0.0;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '=');
    if (filled < kWidth) bar += '>' + std::string(kWidth - filled - 1, ' ');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld  %s elapsed, ETA %s  %s\033[K", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_),
                 format_duration(elapsed).c_str(), format_duration(eta).c_str(), note.c_str());
  } else {
    const int decile = static_cast<int>(frac * 10);
    if (decile == last_decile_ && done_ < total_) return;
    last_decile_ = decile;
    std::fprintf(stderr, "%s %lld/%lld (%s elapsed, ETA %s) %s\n", label_.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_),
                 format_duration(elapsed).c_str(), format_duration(eta).c_str(), note.c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_ && tty_) std::fprintf(stderr, "\n");
}

}  // namespace arecipe
