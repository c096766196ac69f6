// One exception type for every user-facing failure. The message is complete and
// printable as is ("<file>: <what is wrong>"); the CLI prints it and exits non-zero.
#pragma once
#include <stdexcept>
#include <string>

namespace arecipe {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws Error("<path>: <problem>").
[[noreturn]] inline void fail(const std::string& path, const std::string& problem) {
  throw Error(path + ": " + problem);
}

}  // namespace arecipe
