// A per-process scratch directory for one test binary, removed when its tests end.
#pragma once
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace arecipe::testing_support {

inline std::filesystem::path scratch_dir(const std::string& tag) {
  return std::filesystem::temp_directory_path() / ("arecipe-" + tag + "-" + std::to_string(::getpid()));
}

// `name` inside the scratch directory (created on first use).
inline std::filesystem::path scratch_path(const std::string& tag, const std::string& name) {
  const std::filesystem::path d = scratch_dir(tag);
  std::filesystem::create_directories(d);
  return d / name;
}

class ScratchCleanUp : public ::testing::Environment {
 public:
  explicit ScratchCleanUp(std::string tag) : tag_(std::move(tag)) {}
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(scratch_dir(tag_), ec);
  }

 private:
  std::string tag_;
};

}  // namespace arecipe::testing_support
