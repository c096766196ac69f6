// UTF-8 decoding and encoding. Invalid input is handled exactly like Python's
// bytes.decode("utf-8", errors="replace") and Rust's String::from_utf8_lossy: every
// maximal ill-formed subpart becomes one U+FFFD. That is what HF tokenizers sees when a
// Python caller decodes bytes leniently, so golden tests can cover invalid bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace arecipe::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes one code point at `pos` (advancing it); ill-formed bytes yield U+FFFD.
char32_t decode_utf8_at(std::string_view s, size_t& pos);

// Appends the UTF-8 encoding of `cp`.
void append_utf8(std::string& out, char32_t cp);

// Byte offset of the first ill-formed sequence, or nullopt if `s` is valid UTF-8.
std::optional<size_t> find_invalid_utf8(std::string_view s);

// `s` with every ill-formed subpart replaced by U+FFFD (a copy of `s` when valid).
std::string sanitize_utf8(std::string_view s);

// Code points of (valid) UTF-8 text, with the byte offset where each one starts;
// offsets has one extra entry, s.size().
void decode_utf8(std::string_view s, std::vector<char32_t>& cps, std::vector<uint32_t>& offsets);

// Number of bytes of the UTF-8 sequence that starts with lead byte `b` (1 for invalid).
inline size_t utf8_length(unsigned char b) {
  return b < 0x80 ? 1 : b < 0xE0 ? (b >= 0xC0 ? 2 : 1) : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 1;
}

}  // namespace arecipe::text
