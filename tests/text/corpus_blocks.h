// Corpus text cut into blocks for tokenizer goldens and the tokenizer benchmark.
#pragma once
#include <string>
#include <vector>

namespace arecipe::test {

// The text cut after every `lines`-th newline, newlines kept (as gen_golden.py does).
inline std::vector<std::string> blocks_of(const std::string& text, int lines) {
  std::vector<std::string> blocks;
  size_t start = 0;
  int seen = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && ++seen == lines) {
      blocks.push_back(text.substr(start, i + 1 - start));
      start = i + 1;
      seen = 0;
    }
  }
  if (start < text.size()) blocks.push_back(text.substr(start));
  return blocks;
}

}  // namespace arecipe::test
