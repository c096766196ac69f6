// `scheme:` values (a preset name or a mapping of fields) -> SchemeSpec, and the
// cascade step that applies a spec's fields over a resolved Scheme.
#pragma once
#include <functional>
#include <string>

#include "dsl/recipe.h"
#include "dsl/yaml_tree.h"
#include "schemes/scheme.h"

namespace arecipe::dsl {

SchemeSpec parse_scheme_spec(const YNode& node, const std::string& where);

// Applies every field `spec` sets onto `s`; `on_set(field, loc)` is told each one
// (for provenance). A preset's fields come first, explicit fields after.
void apply_scheme_spec(const SchemeSpec& spec, schemes::Scheme& s,
                       const std::function<void(const char* field, const SourceLoc& loc)>& on_set = {});

// The names of the scheme fields, in display order.
const std::vector<std::string>& scheme_field_names();

}  // namespace arecipe::dsl
