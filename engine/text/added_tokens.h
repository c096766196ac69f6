// Added (and special) tokens: matched in the text before pre-tokenization, exactly as HF's
// AddedVocabulary does (leftmost-longest, then lstrip / rstrip / single_word rules).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace arecipe::text {

struct AddedToken {
  std::string content;
  int64_t id = -1;
  bool special = false;
  bool lstrip = false;
  bool rstrip = false;
  bool normalized = false;
  bool single_word = false;
};

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(std::vector<AddedToken> tokens);

  struct Segment {
    size_t begin, end;  // byte offsets into the text
    int64_t token_id;   // -1 for plain text
  };
  // Splits `text` into plain-text segments and added-token matches, covering all of it
  // (a matched token's segment may include the whitespace its lstrip/rstrip absorbed).
  void split(std::string_view text, std::vector<Segment>& out) const;
  bool empty() const { return tokens_.empty(); }

 private:
  // Index of the longest token matching at `pos`, or -1.
  int longest_at(std::string_view text, size_t pos) const;

  std::vector<AddedToken> tokens_;
  std::vector<std::vector<int>> by_first_byte_;  // token indices, longest first
};

}  // namespace arecipe::text
