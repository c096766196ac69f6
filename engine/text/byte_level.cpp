#include "engine/text/byte_level.h"

#include <vector>

#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

struct ByteLevelTables {
  std::array<std::string, 256> to_char;
  std::vector<int> from_char = std::vector<int>(324, -1);  // mapped chars are all < U+0144

  ByteLevelTables() {
    // Printable Latin-1 bytes stand for themselves; the rest are shifted to U+0100 + n.
    std::array<char32_t, 256> cp{};
    std::array<bool, 256> direct{};
    for (int b = '!'; b <= '~'; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) cp[b] = direct[b] ? char32_t(b) : next++;
    for (int b = 0; b < 256; ++b) {
      append_utf8(to_char[b], cp[b]);
      from_char[cp[b]] = b;
    }
  }
};

const ByteLevelTables& tables() {
  static const ByteLevelTables t;
  return t;
}

}  // namespace

const std::array<std::string, 256>& byte_to_char_utf8() { return tables().to_char; }

int char_to_byte(char32_t cp) {
  const auto& f = tables().from_char;
  return cp < f.size() ? f[cp] : -1;
}

std::string bytes_to_byte_level(std::string_view s) {
  const auto& map = tables().to_char;
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char b : s) out += map[b];
  return out;
}

}  // namespace arecipe::text
