// Test helper: run a shell command, capture what it prints, and its exit code.
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace arecipe::testing_support {

struct CommandResult {
  int rc;
  std::string output;
};

// `cmd` runs under /bin/sh; append " 2>&1" to capture stderr too.
inline CommandResult run_command(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed: " + cmd};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace arecipe::testing_support
