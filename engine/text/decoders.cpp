// Decoders: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence.
#include <nlohmann/json.hpp>

#include "engine/text/byte_level.h"
#include "engine/text/components.h"
#include "engine/text/json_access.h"
#include "engine/text/regex.h"
#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) {
      // A token with a character outside the byte alphabet (an added token, say) is
      // taken verbatim, as HF does.
      std::string mapped;
      bool all_mapped = true;
      size_t pos = 0;
      while (pos < t.size()) {
        const int b = char_to_byte(decode_utf8_at(t, pos));
        if (b < 0) {
          all_mapped = false;
          break;
        }
        mapped.push_back(static_cast<char>(b));
      }
      bytes += all_mapped ? mapped : t;
    }
    tokens.assign(1, sanitize_utf8(bytes));
  }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, PrependScheme scheme)
      : replacement_(std::move(replacement)), scheme_(scheme) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      // HF drops every replacement character of the first token when a prefix was added.
      const std::string with = (i == 0 && scheme_ != PrependScheme::kNever) ? "" : " ";
      tokens[i] = replace_all(tokens[i], with);
    }
  }

 private:
  std::string replace_all(const std::string& s, const std::string& with) const {
    std::string out;
    size_t pos = 0;
    while (true) {
      const size_t hit = s.find(replacement_, pos);
      if (hit == std::string::npos) break;
      out.append(s, pos, hit - pos);
      out += with;
      pos = hit + replacement_.size();
    }
    out.append(s, pos, std::string::npos);
    return out;
  }
  std::string replacement_;
  PrependScheme scheme_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(const std::string& pattern, std::string content)
      : regex_(pattern), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<char32_t> cps;
    std::vector<uint32_t> offsets;
    std::vector<Regex::Match> matches;
    for (auto& t : tokens) {
      decode_utf8(t, cps, offsets);
      regex_.find_all(cps, matches);
      if (matches.empty()) continue;
      std::string out;
      size_t last = 0;
      for (const auto& m : matches) {
        out.append(t, last, offsets[m.begin] - last);
        out += content_;
        last = offsets[m.end];
      }
      out.append(t, last, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  Regex regex_;
  std::string content_;
};

// Runs of <0xXX> tokens become the bytes they name: their UTF-8 text if valid, else one
// U+FFFD per byte token.
class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    size_t pending_count = 0;
    auto flush = [&] {
      if (!pending_count) return;
      if (!find_invalid_utf8(pending)) {
        out.push_back(pending);
      } else {
        for (size_t i = 0; i < pending_count; ++i) out.push_back("\xEF\xBF\xBD");
      }
      pending.clear();
      pending_count = 0;
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') byte = hex_byte(t[3], t[4]);
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
        ++pending_count;
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static int hex_byte(char hi, char lo) {
    const int h = hex_digit(hi), l = hex_digit(lo);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

// Removes up to `start` leading and `stop` trailing `content` characters of every token.
class StripDecoder : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop)
      : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<char32_t> cps;
    std::vector<uint32_t> offsets;
    for (auto& t : tokens) {
      decode_utf8(t, cps, offsets);
      size_t b = 0;
      while (b < start_ && b < cps.size() && cps[b] == content_) ++b;
      size_t e = cps.size();
      for (size_t i = 0; i < stop_ && e > b && cps[e - 1] == content_; ++i) --e;
      t = t.substr(offsets[b], offsets[e] - offsets[b]);
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

char32_t single_char(const std::string& s, const std::string& where, const char* context) {
  size_t pos = 0;
  const char32_t c = s.empty() ? 0 : decode_utf8_at(s, pos);
  if (s.empty() || pos != s.size()) fail(where, std::string(context) + ": expected one character, got '" + s + "'");
  return c;
}

}  // namespace

std::unique_ptr<Decoder> parse_decoder(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = component_type(j, where, "decoder");
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace")
    return std::make_unique<MetaspaceDecoder>(
        field_or<std::string>(j, "replacement", "\xE2\x96\x81", where, "Metaspace decoder"),
        parse_prepend_scheme(j, where, "Metaspace decoder"));
  if (type == "Replace") {
    try {
      return std::make_unique<ReplaceDecoder>(
          parse_pattern(require_field(j, "pattern", where, "Replace decoder"), where),
          required_as<std::string>(j, "content", where, "Replace decoder"));
    } catch (const std::invalid_argument& e) {
      fail(where, std::string("Replace decoder: ") + e.what());
    }
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(
        single_char(required_as<std::string>(j, "content", where, "Strip decoder"), where, "Strip decoder"),
        field_or<size_t>(j, "start", 0, where, "Strip decoder"),
        field_or<size_t>(j, "stop", 0, where, "Strip decoder"));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> parts;
    for (const auto& d : require_field(j, "decoders", where, "Sequence decoder")) {
      auto part = parse_decoder(d, where);
      if (part) parts.push_back(std::move(part));
    }
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  fail(where, "unsupported decoder type '" + type +
                  "' (supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)");
}

}  // namespace arecipe::text
