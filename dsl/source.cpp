#include "dsl/source.h"
#include <algorithm>

#include "engine/util/error.h"

namespace arecipe::dsl {

std::string SourceFile::line(int line_number) const {
  if (line_number < 1) return "";
  size_t start = 0;
  for (int i = 1; i < line_number; ++i) {
    start = text.find('\n', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  size_t end = text.find('\n', start);
  std::string l = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (!l.empty() && l.back() == '\r') l.pop_back();
  return l;
}

std::string SourceLoc::str() const {
  std::string s = path();
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(col);
  return s;
}

std::string format_diagnostic(const SourceLoc& loc, const std::string& message,
                              const std::string& hint, const char* severity) {
  std::string out = loc.str() + ": " + severity + ": " + message;
  if (loc.known()) {
    std::string text = loc.file->line(loc.line);
    // Long lines (a minified recipe, a fuzzer's input) are cut around the caret.
    constexpr size_t kMaxShown = 160;
    size_t caret = static_cast<size_t>(loc.col > 0 ? loc.col - 1 : 0);
    // The parser's column can lie past the line's end (found by the fuzzer): clamp it.
    caret = std::min(caret, text.size());
    if (text.size() > kMaxShown) {
      size_t from = caret > kMaxShown / 2 ? caret - kMaxShown / 2 : 0;
      text = text.substr(from, kMaxShown);
      caret -= from;
    }
    if (!text.empty()) {
      std::string pad;
      for (size_t i = 0; i < caret && i < text.size(); ++i) pad += text[i] == '\t' ? '\t' : ' ';
      out += "\n    " + text + "\n    " + pad + "^";
    }
  }
  if (!hint.empty()) out += "\n" + hint;
  return out;
}

void fail_at(const SourceLoc& loc, const std::string& message, const std::string& hint) {
  throw Error(format_diagnostic(loc, message, hint));
}

}  // namespace arecipe::dsl
