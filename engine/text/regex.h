// A small backtracking regex engine for pre-tokenizer patterns.
//
// HF tokenizers runs Split patterns with Oniguruma (Perl semantics: leftmost match, first
// alternative that succeeds). The patterns real models ship need look-ahead
// (`\s+(?!\S)`), which RE2 cannot express, so we match them ourselves. Supported syntax:
// literals and escapes (\r \n \t \f \v \\ \. ...), `.`, classes `[...]` with ranges and
// negation, \s \S \d \D \w \W \p{L} \p{N} \P{..} (also \p{Letter}/\p{Number}, \pL, \pN),
// groups `(...)` `(?:...)` `(?i:...)`, alternation, quantifiers `? * + {n} {n,} {n,m}`
// (greedy or lazy), and look-ahead `(?=...)` `(?!...)`. Anything else is rejected when the
// pattern is compiled, naming the construct, so no pattern is ever silently approximated.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace arecipe::text {

class Regex {
 public:
  // Throws std::invalid_argument naming the unsupported construct.
  explicit Regex(const std::string& pattern);
  ~Regex();
  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;

  struct Match {
    size_t begin, end;  // code-point indices into the searched text
  };
  // Non-overlapping matches, left to right, like Oniguruma's find_iter. Empty matches are
  // skipped (the search resumes one code point later), as HF's Split never keeps them.
  void find_all(const std::vector<char32_t>& text, std::vector<Match>& out) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Program;
  std::string pattern_;
  std::unique_ptr<Program> program_;
};

}  // namespace arecipe::text
