#include "engine/text/unicode.h"

#include <algorithm>
#include <array>
#include <vector>

#include "engine/text/unicode_tables.h"
#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

using tables::CodepointRange;

template <size_t N>
bool in_ranges(const CodepointRange (&ranges)[N], char32_t cp) {
  const auto* end = ranges + N;
  const auto* it = std::upper_bound(ranges, end, cp, [](char32_t c, const CodepointRange& r) {
    return c < r.first;
  });
  return it != ranges && cp <= (it - 1)->last;
}

// ASCII answers come from a table built once: the hot path of pre-tokenization.
template <size_t N>
std::array<bool, 128> ascii_table(const CodepointRange (&ranges)[N]) {
  std::array<bool, 128> t{};
  for (char32_t c = 0; c < 128; ++c) t[c] = in_ranges(ranges, c);
  return t;
}

// Hangul syllables compose and decompose algorithmically (Unicode ch. 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28;
constexpr char32_t kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

unsigned combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  const auto& t = tables::kCombiningClass;
  const auto* end = std::end(t);
  const auto* it = std::upper_bound(std::begin(t), end, cp, [](char32_t c, const auto& r) {
    return c < r.first;
  });
  if (it == std::begin(t) || cp > (it - 1)->last) return 0;
  return (it - 1)->ccc;
}

const tables::Decomposition* find_decomposition(char32_t cp) {
  const auto& t = tables::kCanonicalDecomposition;
  const auto* it = std::lower_bound(std::begin(t), std::end(t), cp,
                                    [](const auto& d, char32_t c) { return d.code < c; });
  return it != std::end(t) && it->code == cp ? it : nullptr;
}

void decompose(char32_t cp, std::u32string& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto* d = cp >= 0xC0 ? find_decomposition(cp) : nullptr;
  if (!d) {
    out.push_back(cp);
    return;
  }
  decompose(d->first, out);
  if (d->second) decompose(d->second, out);
}

char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto& t = tables::kComposition;
  const auto* it = std::lower_bound(std::begin(t), std::end(t), std::make_pair(a, b),
                                    [](const auto& c, const std::pair<char32_t, char32_t>& k) {
                                      return c.first != k.first ? c.first < k.first
                                                                : c.second < k.second;
                                    });
  if (it != std::end(t) && it->first == a && it->second == b) return it->composite;
  return 0;
}

// Code points whose presence can make NFC/NFD change the text; anything else is
// already normalized, which lets most text skip the work.
const std::vector<char32_t>& unstable_code_points() {
  static const std::vector<char32_t> points = [] {
    std::vector<char32_t> v;
    for (const auto& d : tables::kCanonicalDecomposition) v.push_back(d.code);
    for (const auto& r : tables::kCombiningClass)
      for (char32_t c = r.first; c <= r.last; ++c) v.push_back(c);
    for (const auto& c : tables::kComposition) v.push_back(c.second);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return points;
}

bool may_change(char32_t cp) {
  if (cp < 0xC0) return false;
  if (cp >= kLBase && cp < 0x1200) return true;  // conjoining jamo
  if (cp >= kSBase && cp < kSBase + kSCount) return true;
  const auto& v = unstable_code_points();
  return std::binary_search(v.begin(), v.end(), cp);
}

bool needs_normalization(std::string_view s) {
  size_t pos = 0;
  while (pos < s.size()) {
    if (static_cast<unsigned char>(s[pos]) < 0xC3) {  // below U+00C0: always stable
      ++pos;
      continue;
    }
    if (may_change(decode_utf8_at(s, pos))) return true;
  }
  return false;
}

std::u32string canonical_decomposition(std::string_view s) {
  std::u32string out;
  size_t pos = 0;
  while (pos < s.size()) decompose(decode_utf8_at(s, pos), out);
  // Canonical ordering: stable-sort each run of non-starters by combining class.
  for (size_t i = 0; i < out.size();) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    std::stable_sort(out.begin() + i, out.begin() + j, [](char32_t a, char32_t b) {
      return combining_class(a) < combining_class(b);
    });
    i = j;
  }
  return out;
}

std::string encode(const std::u32string& cps) {
  std::string out;
  out.reserve(cps.size() * 2);
  for (char32_t c : cps) append_utf8(out, c);
  return out;
}

}  // namespace

bool is_letter(char32_t cp) {
  static const auto ascii = ascii_table(tables::kLetter);
  return cp < 128 ? ascii[cp] : in_ranges(tables::kLetter, cp);
}
bool is_number(char32_t cp) {
  static const auto ascii = ascii_table(tables::kNumber);
  return cp < 128 ? ascii[cp] : in_ranges(tables::kNumber, cp);
}
bool is_whitespace(char32_t cp) {
  static const auto ascii = ascii_table(tables::kWhiteSpace);
  return cp < 128 ? ascii[cp] : in_ranges(tables::kWhiteSpace, cp);
}
bool is_alphanumeric(char32_t cp) {
  static const auto ascii = ascii_table(tables::kAlphanumeric);
  return cp < 128 ? ascii[cp] : in_ranges(tables::kAlphanumeric, cp);
}
bool is_python_space(char32_t cp) { return in_ranges(tables::kPythonSpace, cp); }

std::string nfd(std::string_view utf8) {
  if (!needs_normalization(utf8)) return std::string(utf8);
  return encode(canonical_decomposition(utf8));
}

std::string nfc(std::string_view utf8) {
  if (!needs_normalization(utf8)) return std::string(utf8);
  std::u32string buf = canonical_decomposition(utf8);
  if (buf.empty()) return {};
  // Canonical composition (UAX #15 reference algorithm).
  size_t starter = 0;
  unsigned last_class = combining_class(buf[0]);
  if (last_class != 0) last_class = 256;  // text starting with a non-starter: block it
  size_t write = 1;
  for (size_t read = 1; read < buf.size(); ++read) {
    const char32_t ch = buf[read];
    const unsigned ch_class = combining_class(ch);
    const char32_t composite = compose_pair(buf[starter], ch);
    if (composite && (last_class < ch_class || last_class == 0)) {
      buf[starter] = composite;
      continue;
    }
    if (ch_class == 0) starter = write;
    last_class = ch_class;
    buf[write++] = ch;
  }
  buf.resize(write);
  return encode(buf);
}

}  // namespace arecipe::text
