// An export's output directory, built under "<out>.tmp-<pid>" and renamed into place
// only when complete, so a crash or an error never leaves a half-written model under
// the final name. An existing <out> is never replaced unless `force`.
#pragma once
#include <string>

namespace arecipe::exporters {

class OutputDir {
 public:
  // Throws Error when `final_dir` exists and !force, or the temp dir can't be made.
  OutputDir(std::string final_dir, bool force);
  ~OutputDir();  // removes the temp dir if commit() never ran
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;

  const std::string& path() const { return temp_; }  // write files here
  const std::string& final_path() const { return final_; }
  // Renames the temp dir to the final name (replacing an existing one only with force).
  void commit();

 private:
  std::string final_;
  std::string temp_;
  bool force_;
  bool committed_ = false;
};

}  // namespace arecipe::exporters
