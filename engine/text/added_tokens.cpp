#include "engine/text/added_tokens.h"

#include <algorithm>

#include "engine/text/unicode.h"
#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

// The code point that ends just before byte `end` of valid UTF-8 text.
char32_t last_char_before(std::string_view text, size_t end, size_t& start) {
  start = end;
  do {
    --start;
  } while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80);
  size_t p = start;
  return decode_utf8_at(text, p);
}

bool ends_with_word(std::string_view text, size_t end) {
  if (end == 0) return false;
  size_t start;
  return is_alphanumeric(last_char_before(text, end, start));
}

bool starts_with_word(std::string_view text, size_t begin) {
  if (begin >= text.size()) return false;
  size_t p = begin;
  return is_alphanumeric(decode_utf8_at(text, p));
}

// Start of the whitespace run that ends at `end`.
size_t whitespace_run_start(std::string_view text, size_t end) {
  while (end > 0) {
    size_t start;
    if (!is_whitespace(last_char_before(text, end, start))) break;
    end = start;
  }
  return end;
}

// End of the whitespace run that starts at `begin`.
size_t whitespace_run_end(std::string_view text, size_t begin) {
  while (begin < text.size()) {
    size_t p = begin;
    if (!is_whitespace(decode_utf8_at(text, p))) break;
    begin = p;
  }
  return begin;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(std::vector<AddedToken> tokens) : tokens_(std::move(tokens)) {
  by_first_byte_.resize(256);
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].content.empty()) continue;
    by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(static_cast<int>(i));
  }
  for (auto& list : by_first_byte_)
    std::stable_sort(list.begin(), list.end(), [&](int a, int b) {
      return tokens_[a].content.size() > tokens_[b].content.size();
    });
}

int AddedTokenMatcher::longest_at(std::string_view text, size_t pos) const {
  for (int i : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
    const auto& c = tokens_[i].content;
    if (text.compare(pos, c.size(), c) == 0) return i;
  }
  return -1;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Segment>& out) const {
  out.clear();
  size_t start_offset = 0;  // end of the last emitted segment
  size_t scan = 0;          // where the next search starts (the raw end of the last match)
  while (scan < text.size()) {
    // Leftmost, then longest (aho-corasick LeftmostLongest).
    size_t pos = scan;
    int hit = -1;
    for (; pos < text.size(); ++pos) {
      if (by_first_byte_[static_cast<unsigned char>(text[pos])].empty()) continue;
      hit = longest_at(text, pos);
      if (hit >= 0) break;
    }
    if (hit < 0) break;
    const AddedToken& tok = tokens_[hit];
    size_t start = pos, stop = pos + tok.content.size();
    scan = stop;
    if (tok.single_word && (ends_with_word(text, start) || starts_with_word(text, stop))) continue;
    if (tok.lstrip) start = std::max(whitespace_run_start(text, start), start_offset);
    if (tok.rstrip) stop = whitespace_run_end(text, stop);
    if (start > start_offset) out.push_back({start_offset, start, -1});
    out.push_back({start, stop, tok.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) out.push_back({start_offset, text.size(), -1});
}

}  // namespace arecipe::text
