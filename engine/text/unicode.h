// Unicode character classes and NFC normalization, backed by the generated
// unicode_tables.h (see gen_unicode_tables.py for where each table comes from).
#pragma once
#include <string>
#include <string_view>

namespace arecipe::text {

bool is_letter(char32_t cp);        // \p{L}
bool is_number(char32_t cp);        // \p{N}
bool is_whitespace(char32_t cp);    // \s, Rust char::is_whitespace
bool is_alphanumeric(char32_t cp);  // Rust char::is_alphanumeric
bool is_python_space(char32_t cp);  // Python str.isspace()

// Unicode Normalization Form C of valid UTF-8 text.
std::string nfc(std::string_view utf8);
// Unicode Normalization Form D of valid UTF-8 text.
std::string nfd(std::string_view utf8);

}  // namespace arecipe::text
