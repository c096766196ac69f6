#include "exporters/output_dir.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <filesystem>

#include "engine/util/error.h"

namespace fs = std::filesystem;

namespace arecipe::exporters {
namespace {

// "<final>.tmp-<pid>" dirs of exports whose process no longer exists (killed runs).
void remove_stale_temps(const std::string& final_dir) {
  const fs::path final_path(final_dir);
  const std::string prefix = final_path.filename().string() + ".tmp-";
  const fs::path parent = final_path.has_parent_path() ? final_path.parent_path() : fs::path(".");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::strtol(pid_text.c_str(), nullptr, 10);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

OutputDir::OutputDir(std::string final_dir, bool force) : final_(std::move(final_dir)), force_(force) {
  while (final_.size() > 1 && final_.back() == '/') final_.pop_back();
  std::error_code ec;
  if (fs::exists(final_, ec) && !force_)
    fail(final_, "already exists (pass --force to replace it)");
  temp_ = final_ + ".tmp-" + std::to_string(::getpid());
  remove_stale_temps(final_);
  fs::remove_all(temp_, ec);  // a leftover of this very pid
  if (!fs::create_directories(temp_, ec) || ec) fail(temp_, "cannot create directory: " + ec.message());
}

OutputDir::~OutputDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(temp_, ec);
}

void OutputDir::commit() {
  std::error_code ec;
  std::string displaced;
  if (fs::exists(final_, ec)) {
    if (!force_) fail(final_, "appeared while exporting; not replacing it");
    // Move the old output aside first so that the new one appears by a single rename.
    displaced = final_ + ".old-" + std::to_string(::getpid());
    fs::rename(final_, displaced, ec);
    if (ec) fail(final_, "cannot move the existing output aside: " + ec.message());
  }
  fs::rename(temp_, final_, ec);
  if (ec) fail(final_, "cannot rename " + temp_ + " into place: " + ec.message());
  committed_ = true;
  if (!displaced.empty()) fs::remove_all(displaced, ec);
}

}  // namespace arecipe::exporters
