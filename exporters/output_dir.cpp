#include "exporters/output_dir.h"

#include <unistd.h>

#include <filesystem>

#include "engine/util/error.h"

namespace fs = std::filesystem;

namespace arecipe::exporters {

OutputDir::OutputDir(std::string final_dir, bool force) : final_(std::move(final_dir)), force_(force) {
  while (final_.size() > 1 && final_.back() == '/') final_.pop_back();
  std::error_code ec;
  if (fs::exists(final_, ec) && !force_)
    fail(final_, "already exists (pass --force to replace it)");
  temp_ = final_ + ".tmp-" + std::to_string(::getpid());
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
