#include "dsl/selector.h"

#include <re2/re2.h>

#include "dsl/suggest.h"
#include "dsl/yaml_tree.h"
#include "engine/model/inventory.h"

namespace arecipe::dsl {

namespace {

bool has_glob_chars(const std::string& s) { return s.find_first_of("*?") != std::string::npos; }

// Iterative glob match with single-star backtracking: O(|p| * |s|) worst case, no
// recursion, so a hostile pattern cannot blow the stack or take exponential time.
bool glob_match(const std::string& p, const std::string& s) {
  size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == s[si])) {
      ++pi, ++si;
    } else if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string flow_text(const YNode& n) {
  switch (n.kind) {
    case YNode::Kind::null: return "null";
    case YNode::Kind::scalar: return n.plain ? n.value : "\"" + n.value + "\"";
    case YNode::Kind::sequence: {
      std::string s = "[";
      for (size_t i = 0; i < n.items.size(); ++i) s += (i ? ", " : "") + flow_text(n.items[i]);
      return s + "]";
    }
    case YNode::Kind::mapping: {
      std::string s = "{";
      for (size_t i = 0; i < n.entries.size(); ++i)
        s += (i ? ", " : "") + n.entries[i].first.value + ": " + flow_text(n.entries[i].second);
      return s + "}";
    }
  }
  return "";
}

const std::string& scalar_or_fail(const YNode& n, const char* what) {
  if (!n.is_scalar()) fail_at(n.loc, std::string(what) + " must be a string, not " + n.kind_name());
  return n.value;
}

std::vector<const YNode*> one_or_list(const YNode& n) {
  std::vector<const YNode*> v;
  if (n.is_sequence()) {
    for (const auto& i : n.items) v.push_back(&i);
  } else {
    v.push_back(&n);
  }
  if (v.empty()) fail_at(n.loc, "empty list: a selector list needs at least one entry");
  return v;
}

}  // namespace

const std::vector<std::string>& known_role_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (Role r : all_roles()) v.push_back(role_name(r));
    return v;
  }();
  return names;
}

NamePattern NamePattern::parse(const std::string& text, const SourceLoc& loc) {
  NamePattern p;
  p.text_ = text;
  if (text.empty()) fail_at(loc, "empty layer name pattern");
  if (text.rfind("re:", 0) == 0) {
    p.kind_ = Kind::regex;
    p.pattern_ = text.substr(3);
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(8 << 20);  // bounded compile memory for hostile patterns
    auto re = std::make_shared<RE2>(p.pattern_, opt);
    if (!re->ok())
      fail_at(loc, "invalid regular expression '" + p.pattern_ + "': " + re->error(),
              "patterns use RE2 syntax (no backreferences or lookaround) and must match the "
              "whole layer name");
    p.re_ = std::move(re);
  } else if (has_glob_chars(text)) {
    p.kind_ = Kind::glob;
    p.pattern_ = text;
  } else {
    p.pattern_ = text;
  }
  return p;
}

bool NamePattern::matches(const std::string& name) const {
  switch (kind_) {
    case Kind::exact: return name == pattern_;
    case Kind::glob: return glob_match(pattern_, name);
    case Kind::regex: return RE2::FullMatch(name, *re_);
  }
  return false;
}

Selector Selector::parse_scalar(const std::string& text, const SourceLoc& loc) {
  Selector s;
  s.text_ = text;
  s.loc_ = loc;
  if (text.rfind("not:", 0) == 0) {
    s.kind_ = Kind::negation;
    s.children_.push_back(parse_scalar(text.substr(4), loc));
    return s;
  }
  s.kind_ = Kind::all_of;
  s.names_.push_back(NamePattern::parse(text, loc));
  return s;
}

Selector Selector::parse(const YNode& node) {
  if (node.is_scalar()) return parse_scalar(node.value, node.loc);
  Selector s;
  s.loc_ = node.loc;
  s.text_ = flow_text(node);
  if (node.is_sequence()) {
    s.kind_ = Kind::any_of;
    for (const YNode* item : one_or_list(node)) s.children_.push_back(parse(*item));
    return s;
  }
  if (!node.is_mapping())
    fail_at(node.loc, std::string("a selector is a name, a list or a mapping, not ") + node.kind_name());
  if (node.entries.empty()) fail_at(node.loc, "empty selector mapping: it would match every layer",
                                     "write match: \"*\" to select every layer");
  static const std::vector<std::string> keys = {"name", "role", "blocks", "not"};
  s.kind_ = Kind::all_of;
  for (const auto& [k, v] : node.entries) {
    if (k.value == "name") {
      for (const YNode* n : one_or_list(v)) s.names_.push_back(NamePattern::parse(scalar_or_fail(*n, "name"), n->loc));
    } else if (k.value == "role") {
      const auto& roles = known_role_names();
      for (const YNode* n : one_or_list(v)) {
        const std::string& r = scalar_or_fail(*n, "role");
        size_t before = s.roles_.size();
        for (const auto& known : roles)
          if (has_glob_chars(r) ? glob_match(r, known) : r == known) s.roles_.push_back(known);
        if (s.roles_.size() == before)
          fail_at(n->loc, (has_glob_chars(r) ? "role pattern '" : "unknown role '") + r + "'" +
                              (has_glob_chars(r) ? " matches no role" : ""),
                  did_you_mean(r, roles));
      }
    } else if (k.value == "blocks") {
      if (!v.is_scalar()) fail_at(v.loc, std::string("blocks must be a string like \"0-2,60\", not ") + v.kind_name());
      s.blocks_.push_back(BlockSet::parse(v.value, v.loc));
    } else if (k.value == "not") {
      s.not_ = std::make_shared<const Selector>(parse(v));
    } else {
      fail_at(k.loc, "unknown selector key '" + k.value + "'", did_you_mean(k.value, keys));
    }
  }
  return s;
}

bool Selector::matches(const LayerRef& layer, int num_blocks) const {
  switch (kind_) {
    case Kind::any_of:
      for (const auto& c : children_)
        if (c.matches(layer, num_blocks)) return true;
      return false;
    case Kind::negation:
      return !children_[0].matches(layer, num_blocks);
    case Kind::all_of: break;
  }
  if (!roles_.empty()) {
    bool any = false;
    for (const auto& r : roles_) any = any || r == layer.role;
    if (!any) return false;
  }
  if (!blocks_.empty() && !blocks_[0].contains(layer.block, num_blocks)) return false;
  if (!names_.empty()) {
    bool any = false;
    for (const auto& n : names_) {
      if (n.matches(layer.name)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  if (not_ && not_->matches(layer, num_blocks)) return false;
  return true;
}

int Selector::max_absolute_block() const {
  int m = -1;
  for (const auto& c : children_) m = std::max(m, c.max_absolute_block());
  for (const auto& b : blocks_) m = std::max(m, b.max_absolute());
  if (not_) m = std::max(m, not_->max_absolute_block());
  return m;
}

}  // namespace arecipe::dsl
