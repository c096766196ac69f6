// A scratch directory for one test, removed with everything in it at scope exit.
#pragma once
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace arecipe::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "arecipe-test") {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to a fresh file `name` in the directory and returns its path. The
  // old file is unlinked first: truncating one in place makes ext4 flush it to disk,
  // which turns loops over thousands of variants into minutes.
  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    ::unlink(p.c_str());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace arecipe::test
