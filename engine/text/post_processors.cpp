// Post-processors, reduced to the special tokens they put around a single sequence:
// TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel (ids unchanged), Sequence.
#include <nlohmann/json.hpp>

#include "engine/text/components.h"
#include "engine/text/json_access.h"

namespace arecipe::text {
namespace {

SpecialTokenFrame parse_template(const nlohmann::json& j, const std::string& where) {
  const auto& single = require_field(j, "single", where, "TemplateProcessing");
  const auto& specials = require_field(j, "special_tokens", where, "TemplateProcessing");
  SpecialTokenFrame frame;
  bool seen_sequence = false;
  for (const auto& piece : single) {
    if (piece.contains("Sequence")) {
      const auto id = required_as<std::string>(piece.at("Sequence"), "id", where, "TemplateProcessing");
      if (id != "A" || seen_sequence)
        fail(where, "TemplateProcessing: single template must hold sequence A exactly once");
      seen_sequence = true;
      continue;
    }
    if (!piece.contains("SpecialToken"))
      fail(where, "TemplateProcessing: unknown template piece " + piece.dump());
    const auto name = required_as<std::string>(piece.at("SpecialToken"), "id", where, "TemplateProcessing");
    if (!specials.contains(name))
      fail(where, "TemplateProcessing: special token '" + name + "' is not in special_tokens");
    const auto ids = required_as<std::vector<int64_t>>(specials.at(name), "ids", where, "TemplateProcessing");
    auto& target = seen_sequence ? frame.suffix : frame.prefix;
    target.insert(target.end(), ids.begin(), ids.end());
  }
  if (!seen_sequence) fail(where, "TemplateProcessing: single template has no sequence A");
  return frame;
}

// RobertaProcessing / BertProcessing store their tokens as ["<s>", 0].
int64_t pair_id(const nlohmann::json& j, const char* key, const std::string& where, const char* ctx) {
  const auto& v = require_field(j, key, where, ctx);
  if (!v.is_array() || v.size() != 2 || !v[1].is_number_integer())
    fail(where, std::string(ctx) + ": field '" + key + "' must be [token, id]");
  return v[1].get<int64_t>();
}

}  // namespace

SpecialTokenFrame parse_post_processor(const nlohmann::json& j, const std::string& where) {
  if (j.is_null()) return {};
  const std::string type = component_type(j, where, "post_processor");
  if (type == "ByteLevel") return {};  // only trims offsets; ids are untouched
  if (type == "TemplateProcessing") return parse_template(j, where);
  if (type == "RobertaProcessing" || type == "BertProcessing")
    return {{pair_id(j, "cls", where, type.c_str())}, {pair_id(j, "sep", where, type.c_str())}};
  if (type == "Sequence") {
    // Each processor wraps the output of the previous one.
    SpecialTokenFrame frame;
    for (const auto& p : require_field(j, "processors", where, "Sequence post-processor")) {
      SpecialTokenFrame inner = parse_post_processor(p, where);
      inner.prefix.insert(inner.prefix.end(), frame.prefix.begin(), frame.prefix.end());
      frame.prefix = std::move(inner.prefix);
      frame.suffix.insert(frame.suffix.end(), inner.suffix.begin(), inner.suffix.end());
    }
    return frame;
  }
  fail(where, "unsupported post_processor type '" + type +
                  "' (supported: TemplateProcessing, RobertaProcessing, BertProcessing, ByteLevel, Sequence)");
}

}  // namespace arecipe::text
