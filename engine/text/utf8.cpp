#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

// Valid range of the second byte for each lead byte (Unicode Table 3-7); the third and
// fourth bytes are always 0x80..0xBF.
bool second_byte_ok(unsigned char lead, unsigned char b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  return b >= 0x80 && b <= 0xBF;
}

// Length of the well-formed sequence at pos, or 0 with `bad` = bytes of the maximal
// ill-formed subpart (at least 1).
size_t well_formed_length(std::string_view s, size_t pos, size_t& bad) {
  const auto lead = static_cast<unsigned char>(s[pos]);
  if (lead < 0x80) return 1;
  size_t need;
  if (lead >= 0xC2 && lead <= 0xDF) need = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) need = 3;
  else if (lead >= 0xF0 && lead <= 0xF4) need = 4;
  else {
    bad = 1;
    return 0;
  }
  for (size_t i = 1; i < need; ++i) {
    if (pos + i >= s.size()) {
      bad = i;
      return 0;
    }
    const auto b = static_cast<unsigned char>(s[pos + i]);
    const bool ok = i == 1 ? second_byte_ok(lead, b) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      bad = i;
      return 0;
    }
  }
  return need;
}

}  // namespace

char32_t decode_utf8_at(std::string_view s, size_t& pos) {
  size_t bad = 0;
  const size_t n = well_formed_length(s, pos, bad);
  if (n == 0) {
    pos += bad;
    return kReplacementChar;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(s.data() + pos);
  pos += n;
  switch (n) {
    case 1: return p[0];
    case 2: return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
    case 3: return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    default:
      return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) |
             (p[3] & 0x3Fu);
  }
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::optional<size_t> find_invalid_utf8(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t bad = 0;
    const size_t n = well_formed_length(s, pos, bad);
    if (n == 0) return pos;
    pos += n;
  }
  return std::nullopt;
}

std::string sanitize_utf8(std::string_view s) {
  const auto first_bad = find_invalid_utf8(s);
  if (!first_bad) return std::string(s);
  std::string out(s.substr(0, *first_bad));
  size_t pos = *first_bad;
  while (pos < s.size()) {
    const size_t start = pos;
    const char32_t cp = decode_utf8_at(s, pos);
    if (cp == kReplacementChar) append_utf8(out, cp);
    else out.append(s.substr(start, pos - start));
  }
  return out;
}

void decode_utf8(std::string_view s, std::vector<char32_t>& cps, std::vector<uint32_t>& offsets) {
  cps.clear();
  offsets.clear();
  size_t pos = 0;
  while (pos < s.size()) {
    offsets.push_back(static_cast<uint32_t>(pos));
    const auto b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) {
      cps.push_back(b);
      ++pos;
    } else {
      cps.push_back(decode_utf8_at(s, pos));
    }
  }
  offsets.push_back(static_cast<uint32_t>(s.size()));
}

}  // namespace arecipe::text
