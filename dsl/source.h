// Where a recipe value came from, and how to point at it in a message:
//
//   recipes/r.yaml:7:12: error: unknown preset 'W4A61'
//       scheme: W4A61
//               ^
//   did you mean 'W4A16'?
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace arecipe::dsl {

// The text of one recipe file (or of one --set argument), kept so that messages can
// quote the offending line.
struct SourceFile {
  std::string path;
  std::string text;
  std::string line(int line_number) const;  // 1-based; "" when out of range
};

struct SourceLoc {
  std::shared_ptr<const SourceFile> file;
  int line = 0;  // 1-based; 0 = unknown
  int col = 0;   // 1-based

  bool known() const { return file && line > 0; }
  std::string path() const { return file ? file->path : std::string("<unknown>"); }
  // "recipes/r.yaml:7:12"
  std::string str() const;
};

// "<loc>: error: <message>\n<source line>\n<caret>[\n<hint>]"; the text of every
// recipe error (arecipe::Error carries it).
std::string format_diagnostic(const SourceLoc& loc, const std::string& message,
                              const std::string& hint = "", const char* severity = "error");

// Throws arecipe::Error(format_diagnostic(...)).
[[noreturn]] void fail_at(const SourceLoc& loc, const std::string& message,
                          const std::string& hint = "");

}  // namespace arecipe::dsl
