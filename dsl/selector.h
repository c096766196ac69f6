// Which layers a rule applies to. Semantics (docs/recipes.md, "Selectors"):
//   "model.layers.0.mlp.down_proj"   exact module name
//   "*.down_proj"                    glob, full match; * and ? also match dots
//   "re:.*\.experts\.\d+\..*"        RE2, full match (anchored at both ends)
//   "not:<selector>"                 every layer the inner selector does not match
//   [a, b, c]                        any of (OR)
//   {name: .., role: [attn_*, router], blocks: "0-2,last", not: ..}   all of (AND)
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dsl/block_ranges.h"
#include "dsl/source.h"

namespace re2 {
class RE2;
}

namespace arecipe::dsl {

struct YNode;

// The facts about a layer that selectors look at.
struct LayerRef {
  const std::string& name;
  const char* role;  // role name, e.g. "attn_q"
  int block;         // -1 outside blocks
};

class NamePattern {
 public:
  static NamePattern parse(const std::string& text, const SourceLoc& loc);
  bool matches(const std::string& name) const;
  const std::string& text() const { return text_; }

 private:
  enum class Kind { exact, glob, regex } kind_ = Kind::exact;
  std::string text_;     // as written
  std::string pattern_;  // without the "re:" prefix
  std::shared_ptr<const re2::RE2> re_;
};

class Selector {
 public:
  // Parses a `match:` value; throws diagnostics (unknown role, bad regex, ...).
  static Selector parse(const YNode& node);

  bool matches(const LayerRef& layer, int num_blocks) const;
  // Every explicit block index used, for range checks at plan time (-1 if none).
  int max_absolute_block() const;
  // The selector as written (one line), for messages and plans.
  const std::string& text() const { return text_; }
  const SourceLoc& loc() const { return loc_; }

 private:
  enum class Kind { any_of, all_of, negation } kind_ = Kind::all_of;
  std::vector<Selector> children_;        // any_of alternatives / negation's single child
  std::vector<NamePattern> names_;        // all_of: any of these names (none = any name)
  std::vector<std::string> roles_;        // all_of: any of these roles (none = any role)
  std::vector<BlockSet> blocks_;          // all_of: in this block set (at most one)
  std::shared_ptr<const Selector> not_;   // all_of: and not this
  std::string text_;
  SourceLoc loc_;

  static Selector parse_scalar(const std::string& text, const SourceLoc& loc);
};

// Role names a selector accepts (from engine/model/inventory.h).
const std::vector<std::string>& known_role_names();

}  // namespace arecipe::dsl
