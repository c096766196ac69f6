#include "dsl/block_ranges.h"

#include <cctype>

namespace arecipe::dsl {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

bool parse_index(const std::string& s, int& out) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  out = std::stoi(s);
  return true;
}

}  // namespace

BlockSet BlockSet::parse(const std::string& text, const SourceLoc& loc) {
  BlockSet set;
  set.text_ = text;
  const std::string help =
      "block sets look like \"0-2,60\", \"first:3\", \"last\", \"last:2\" (indices from 0)";
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    const std::string part = trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    Item item{Item::Kind::range};
    int a = 0, b = 0;
    if (part == "first" || part == "last") {
      item = {part == "first" ? Item::Kind::first : Item::Kind::last, 1, 0};
    } else if (part.rfind("first:", 0) == 0 || part.rfind("last:", 0) == 0) {
      const bool first = part[0] == 'f';
      if (!parse_index(trim(part.substr(first ? 6 : 5)), a) || a == 0)
        fail_at(loc, "bad block count in '" + part + "': expected a positive integer", help);
      item = {first ? Item::Kind::first : Item::Kind::last, a, 0};
    } else if (size_t dash = part.find('-'); dash != std::string::npos) {
      if (!parse_index(trim(part.substr(0, dash)), a) || !parse_index(trim(part.substr(dash + 1)), b))
        fail_at(loc, "bad block range '" + part + "'", help);
      if (a > b) fail_at(loc, "empty block range '" + part + "': " + std::to_string(a) + " > " + std::to_string(b), help);
      item = {Item::Kind::range, a, b};
    } else if (parse_index(part, a)) {
      item = {Item::Kind::range, a, a};
    } else {
      fail_at(loc, "bad block set item '" + part + "'", help);
    }
    set.items_.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return set;
}

bool BlockSet::contains(int block, int num_blocks) const {
  if (block < 0) return false;
  for (const auto& it : items_) {
    switch (it.kind) {
      case Item::Kind::range:
        if (block >= it.a && block <= it.b) return true;
        break;
      case Item::Kind::first:
        if (block < it.a) return true;
        break;
      case Item::Kind::last:
        if (block >= num_blocks - it.a) return true;
        break;
    }
  }
  return false;
}

int BlockSet::max_absolute() const {
  int m = -1;
  for (const auto& it : items_)
    if (it.kind == Item::Kind::range && it.b > m) m = it.b;
  return m;
}

}  // namespace arecipe::dsl
