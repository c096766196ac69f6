// Normalizers: NFC, NFD, Prepend, Replace, Strip, Sequence.
#include <nlohmann/json.hpp>

#include "engine/text/components.h"
#include "engine/text/json_access.h"
#include "engine/text/regex.h"
#include "engine/text/unicode.h"
#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

class NfcNormalizer : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = nfc(text); }
};

class NfdNormalizer : public Normalizer {
 public:
  void normalize(std::string& text) const override { text = nfd(text); }
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);  // HF leaves empty text alone
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(const std::string& pattern, std::string content)
      : regex_(pattern), content_(std::move(content)) {}
  void normalize(std::string& text) const override {
    std::vector<char32_t> cps;
    std::vector<uint32_t> offsets;
    decode_utf8(text, cps, offsets);
    std::vector<Regex::Match> matches;
    regex_.find_all(cps, matches);
    if (matches.empty()) return;
    std::string out;
    size_t last = 0;
    for (const auto& m : matches) {
      out.append(text, last, offsets[m.begin] - last);
      out += content_;
      last = offsets[m.end];
    }
    out.append(text, last, std::string::npos);
    text = std::move(out);
  }

 private:
  Regex regex_;
  std::string content_;
};

// Strip surrounding whitespace (Rust char::is_whitespace).
class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    std::vector<char32_t> cps;
    std::vector<uint32_t> offsets;
    decode_utf8(text, cps, offsets);
    size_t b = 0, e = cps.size();
    if (left_) while (b < e && is_whitespace(cps[b])) ++b;
    if (right_) while (e > b && is_whitespace(cps[e - 1])) --e;
    text = text.substr(offsets[b], offsets[e] - offsets[b]);
  }

 private:
  bool left_, right_;
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts)
      : parts_(std::move(parts)) {}
  void normalize(std::string& text) const override {
    for (const auto& p : parts_) p->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> parts_;
};

}  // namespace

std::string escape_regex(const std::string& literal) {
  std::string out;
  for (char c : literal) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9');
    if (!plain) out.push_back('\\');
    if (c == '\n') out += "n";
    else if (c == '\r') out += "r";
    else if (c == '\t') out += "t";
    else out.push_back(c);
  }
  return out;
}

std::string parse_pattern(const nlohmann::json& j, const std::string& where) {
  if (j.is_object() && j.contains("String") && j.at("String").is_string())
    return escape_regex(j.at("String").get<std::string>());
  if (j.is_object() && j.contains("Regex") && j.at("Regex").is_string())
    return j.at("Regex").get<std::string>();
  fail(where, "pattern must be {\"String\": ...} or {\"Regex\": ...}, got " + j.dump());
}

std::unique_ptr<Normalizer> parse_normalizer(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = component_type(j, where, "normalizer");
  if (type == "NFC") return std::make_unique<NfcNormalizer>();
  if (type == "NFD") return std::make_unique<NfdNormalizer>();
  if (type == "Prepend")
    return std::make_unique<PrependNormalizer>(required_as<std::string>(j, "prepend", where, "Prepend normalizer"));
  if (type == "Replace") {
    const std::string pattern = parse_pattern(require_field(j, "pattern", where, "Replace normalizer"), where);
    try {
      return std::make_unique<ReplaceNormalizer>(
          pattern, required_as<std::string>(j, "content", where, "Replace normalizer"));
    } catch (const std::invalid_argument& e) {
      fail(where, std::string("Replace normalizer: ") + e.what());
    }
  }
  if (type == "Strip")
    return std::make_unique<StripNormalizer>(field_or(j, "strip_left", true, where, "Strip"),
                                             field_or(j, "strip_right", true, where, "Strip"));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> parts;
    for (const auto& n : require_field(j, "normalizers", where, "Sequence normalizer")) {
      auto p = parse_normalizer(n, where);
      if (p) parts.push_back(std::move(p));
    }
    return std::make_unique<SequenceNormalizer>(std::move(parts));
  }
  fail(where, "unsupported normalizer type '" + type +
                  "' (supported: NFC, NFD, Prepend, Replace, Strip, Sequence)");
}

}  // namespace arecipe::text
