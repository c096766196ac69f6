// GPT-2's reversible byte <-> printable-character mapping (bytes_to_unicode): byte-level
// BPE vocabularies spell every byte as one visible character.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace arecipe::text {

// UTF-8 of the character standing for each byte.
const std::array<std::string, 256>& byte_to_char_utf8();

// The byte a mapped character stands for, or -1 if `cp` is not a byte-level character.
int char_to_byte(char32_t cp);

// Maps every byte of `s` to its character.
std::string bytes_to_byte_level(std::string_view s);

}  // namespace arecipe::text
