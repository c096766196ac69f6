// Pre-tokenizers: ByteLevel, Split, Metaspace, Sequence.
#include <nlohmann/json.hpp>

#include "engine/text/byte_level.h"
#include "engine/text/components.h"
#include "engine/text/json_access.h"
#include "engine/text/regex.h"
#include "engine/text/utf8.h"

namespace arecipe::text {
namespace {

// The split pattern of GPT-2, used by ByteLevel when use_regex is set.
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class SplitBehavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

struct Segment {
  size_t begin, end;  // code-point indices
  bool is_match;
};

// HF's SplitDelimiterBehavior applied to the (gap, match) segments of one piece.
std::vector<Segment> apply_behavior(const std::vector<Segment>& segs, SplitBehavior behavior) {
  std::vector<Segment> out;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const auto& s : segs) if (!s.is_match) out.push_back(s);
      return out;
    case SplitBehavior::kIsolated:
      return segs;
    case SplitBehavior::kMergedWithPrevious:
      for (const auto& s : segs) {
        if (s.is_match && !previous_match && !out.empty()) out.back().end = s.end;
        else out.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      return out;
    case SplitBehavior::kMergedWithNext:
      for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
        if (it->is_match && !previous_match && !out.empty()) out.back().begin = it->begin;
        else out.push_back({it->begin, it->end, false});
        previous_match = it->is_match;
      }
      return {out.rbegin(), out.rend()};
    case SplitBehavior::kContiguous:
      for (const auto& s : segs) {
        if (s.is_match == previous_match && !out.empty()) out.back().end = s.end;
        else out.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      return out;
  }
  return out;
}

// Splits every piece on the matches of `regex`, keeping pieces as `behavior` says.
void split_pieces(std::vector<PreToken>& pieces, const Regex& regex, SplitBehavior behavior,
                  bool invert) {
  std::vector<PreToken> out;
  out.reserve(pieces.size() * 4);
  std::vector<char32_t> cps;
  std::vector<uint32_t> offsets;
  std::vector<Regex::Match> matches;
  std::vector<Segment> segs;
  for (auto& piece : pieces) {
    decode_utf8(piece.text, cps, offsets);
    regex.find_all(cps, matches);
    segs.clear();
    size_t prev = 0;
    for (const auto& m : matches) {
      if (m.begin != prev) segs.push_back({prev, m.begin, invert});
      segs.push_back({m.begin, m.end, !invert});
      prev = m.end;
    }
    if (prev != cps.size()) segs.push_back({prev, cps.size(), invert});
    for (const auto& s : apply_behavior(segs, behavior)) {
      if (s.begin == s.end) continue;
      out.push_back({piece.text.substr(offsets[s.begin], offsets[s.end] - offsets[s.begin]),
                     piece.at_input_start && s.begin == 0});
    }
  }
  pieces = std::move(out);
}

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(const std::string& pattern, SplitBehavior behavior, bool invert)
      : regex_(pattern), behavior_(behavior), invert_(invert) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    split_pieces(pieces, regex_, behavior_, invert_);
  }

 private:
  Regex regex_;
  SplitBehavior behavior_;
  bool invert_;
};

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), regex_(use_regex ? new Regex(kGpt2Pattern) : nullptr) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_)
      for (auto& p : pieces)
        if (p.text.empty() || p.text[0] != ' ') p.text.insert(0, " ");
    if (regex_) split_pieces(pieces, *regex_, SplitBehavior::kIsolated, false);
    for (auto& p : pieces) p.text = bytes_to_byte_level(p.text);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<Regex> regex_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split),
        splitter_(escape_regex(replacement_)) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (auto& p : pieces) {
      std::string replaced;
      replaced.reserve(p.text.size() + 8);
      for (char c : p.text) {
        if (c == ' ') replaced += replacement_;
        else replaced.push_back(c);
      }
      const bool starts = replaced.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == PrependScheme::kAlways ||
                      (scheme_ == PrependScheme::kFirst && p.at_input_start)))
        replaced.insert(0, replacement_);
      p.text = std::move(replaced);
    }
    if (split_) split_pieces(pieces, splitter_, SplitBehavior::kMergedWithNext, false);
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
  Regex splitter_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts)
      : parts_(std::move(parts)) {}
  void pre_tokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& p : parts_) p->pre_tokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> parts_;
};

SplitBehavior parse_behavior(const std::string& name, const std::string& where) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  fail(where, "Split pre-tokenizer: unknown behavior '" + name + "'");
}

}  // namespace

PrependScheme parse_prepend_scheme(const nlohmann::json& j, const std::string& where,
                                   const char* context) {
  if (j.contains("prepend_scheme")) {
    const auto s = required_as<std::string>(j, "prepend_scheme", where, context);
    if (s == "always") return PrependScheme::kAlways;
    if (s == "first") return PrependScheme::kFirst;
    if (s == "never") return PrependScheme::kNever;
    fail(where, std::string(context) + ": unknown prepend_scheme '" + s + "'");
  }
  // Files written before prepend_scheme existed carry add_prefix_space instead.
  return field_or(j, "add_prefix_space", true, where, context) ? PrependScheme::kAlways
                                                                : PrependScheme::kNever;
}

std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  const std::string type = component_type(j, where, "pre_tokenizer");
  try {
    if (type == "ByteLevel")
      return std::make_unique<ByteLevelPreTokenizer>(
          field_or(j, "add_prefix_space", true, where, "ByteLevel pre-tokenizer"),
          field_or(j, "use_regex", true, where, "ByteLevel pre-tokenizer"));
    if (type == "Split")
      return std::make_unique<SplitPreTokenizer>(
          parse_pattern(require_field(j, "pattern", where, "Split pre-tokenizer"), where),
          parse_behavior(required_as<std::string>(j, "behavior", where, "Split pre-tokenizer"), where),
          field_or(j, "invert", false, where, "Split pre-tokenizer"));
    if (type == "Metaspace")
      return std::make_unique<MetaspacePreTokenizer>(
          field_or<std::string>(j, "replacement", "\xE2\x96\x81", where, "Metaspace"),
          parse_prepend_scheme(j, where, "Metaspace pre-tokenizer"),
          field_or(j, "split", true, where, "Metaspace"));
  } catch (const std::invalid_argument& e) {
    fail(where, type + " pre-tokenizer: " + e.what());
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> parts;
    for (const auto& p : require_field(j, "pretokenizers", where, "Sequence pre-tokenizer")) {
      auto part = parse_pre_tokenizer(p, where);
      if (part) parts.push_back(std::move(part));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(parts));
  }
  fail(where, "unsupported pre_tokenizer type '" + type +
                  "' (supported: ByteLevel, Split, Metaspace, Sequence)");
}

}  // namespace arecipe::text
