// A recipe file as a small YAML tree in which every node knows its file:line:col.
// Built from yaml-cpp's event parser rather than YAML::Node because recipes need
// what YAML::Node hides or allows: duplicate keys are errors, anchors/aliases are
// rejected (no "billion laughs"), nesting depth and node count are bounded.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dsl/source.h"

namespace arecipe::dsl {

struct YNode {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  std::string value;          // scalar text
  bool plain = true;          // scalar was unquoted ("4" is a number, '"4"' a string)
  std::vector<YNode> items;   // sequence
  std::vector<std::pair<YNode, YNode>> entries;  // mapping, in file order; keys are scalars
  SourceLoc loc;

  bool is_null() const { return kind == Kind::null; }
  bool is_scalar() const { return kind == Kind::scalar; }
  bool is_sequence() const { return kind == Kind::sequence; }
  bool is_mapping() const { return kind == Kind::mapping; }
  const YNode* find(const std::string& key) const;  // mapping lookup, nullptr if absent
  YNode* find(const std::string& key);
  const char* kind_name() const;  // "a mapping", "a list", "a scalar", "null"
};

struct YamlLimits {
  size_t max_bytes = 1u << 20;  // recipes are small; a bigger file is a mistake or an attack
  int max_depth = 64;
  size_t max_nodes = 200000;
};

// Parses one YAML document. Throws arecipe::Error with a file:line:col diagnostic on
// malformed YAML, duplicate keys, non-scalar keys, anchors/aliases, several documents,
// or exceeded limits. An empty document is a null node.
YNode parse_yaml(std::shared_ptr<const SourceFile> file, const YamlLimits& limits = {});

// Reads a recipe file without trusting its size: the size is checked before reading.
std::shared_ptr<const SourceFile> read_source_file(const std::string& path,
                                                   const YamlLimits& limits = {});

}  // namespace arecipe::dsl
