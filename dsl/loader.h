// Recipe files -> typed Recipe: read (size-capped), parse, follow `extends`, apply
// `--set` overrides, validate every value. Errors are arecipe::Error whose message
// is a file:line:col diagnostic with the offending line, a caret and a hint.
#pragma once
#include <string>
#include <vector>

#include "dsl/recipe.h"
#include "dsl/yaml_tree.h"

namespace arecipe::dsl {

constexpr int kLanguageVersion = 1;

struct LoadOptions {
  std::vector<std::string> overrides;  // "--set" arguments: "tuning.iters=200"
  // Folders searched for published recipes named in `extends:` (or on the command
  // line); empty = default_recipe_search_path().
  std::vector<std::string> search_path;
  // `output:` may name an absolute path or climb above the working directory only
  // when the user says so on the command line; a recipe alone cannot.
  bool allow_output_anywhere = false;
  YamlLimits limits;
};

Recipe load_recipe(const std::string& path, const LoadOptions& options = {});
// For tests and the fuzzer: `text` stands for the file at `path` (extends are
// resolved relative to its folder).
Recipe load_recipe_text(const std::string& text, const std::string& path, const LoadOptions& options = {});

// $ARECIPE_RECIPE_PATH (colon-separated), then the recipes/ folder of the source tree.
std::vector<std::string> default_recipe_search_path();

// A recipe argument is a file path, or the name of a published recipe
// ("deepseek-r1-int2-mixed"). Returns the path to read; throws naming what was tried.
std::string resolve_recipe_argument(const std::string& arg, const std::vector<std::string>& search_path = {});

// Names of the published recipes found on the search path (for hints and listings).
std::vector<std::string> published_recipe_names(const std::vector<std::string>& search_path = {});

}  // namespace arecipe::dsl
