// The YAML-level half of loading (internal to dsl/): one merged tree from a recipe
// file, the files it extends and the --set overrides, before any typing.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "dsl/loader.h"
#include "dsl/yaml_tree.h"

namespace arecipe::dsl {

struct MergedTree {
  YNode root;
  std::vector<std::shared_ptr<const SourceFile>> sources;  // nearest first
};

MergedTree load_merged_tree(std::shared_ptr<const SourceFile> file, const LoadOptions& options);

// Applies one "a.b.c=value" override; the value is YAML ("8", "W4A16", "{bits: 8}").
void apply_override(YNode& root, const std::string& assignment);

}  // namespace arecipe::dsl
