// Typed reads of YAML scalars with recipe diagnostics: "expected an integer, got
// 'four'" at the value's file:line:col. Internal to dsl/.
#pragma once
#include <string>
#include <vector>

#include "dsl/recipe.h"
#include "dsl/yaml_tree.h"

namespace arecipe::dsl {

// Rejects keys of `map` not in `allowed` ("unknown key 'iter' in tuning; did you
// mean 'iters'?"); `where` names the mapping ("tuning", "a rule").
void check_keys(const YNode& map, const std::vector<std::string>& allowed, const std::string& where,
                const std::string& extra_hint = "");

void expect_mapping(const YNode& n, const std::string& what);

Located<int> read_int(const YNode& n, const std::string& what, long min, long max);
Located<double> read_number(const YNode& n, const std::string& what, double min, double max);
Located<bool> read_bool(const YNode& n, const std::string& what);
Located<std::string> read_string(const YNode& n, const std::string& what);
// A string or a list of strings.
std::vector<Located<std::string>> read_string_list(const YNode& n, const std::string& what);

}  // namespace arecipe::dsl
