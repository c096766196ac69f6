// Rules x inventory -> Plan. Semantics (docs/recipes.md): every layer starts from the
// recipe's default scheme (routers, lm_head and embeddings start kept, as upstream
// quantizes only linears inside blocks and keeps MoE routers); rules apply top to
// bottom; a matching rule overrides only the fields it sets (last wins per field);
// giving a scheme un-keeps a layer, `keep: true` keeps it.
#pragma once
#include "autoscheme/layer_plan.h"

namespace arecipe::autoscheme {

// Resolves and runs every early check (schemes valid, export formats can hold them,
// group sizes fit, tie groups share a scheme, target reachable). Throws a
// file:line:col diagnostic for the first violated constraint; non-fatal findings
// (a rule matching nothing) become plan.warnings.
Plan resolve(const dsl::Recipe& recipe, const Inventory& inventory);

// The source location behind field `f` of `layer` ("the recipe line that set it").
dsl::SourceLoc field_location(const dsl::Recipe& recipe, const LayerPlan& layer, Field f);
// "rule 2 'protect attention' (r.yaml:9:5)", "default scheme (r.yaml:4:9)" or the
// built-in reason.
std::string field_origin(const dsl::Recipe& recipe, const LayerPlan& layer, Field f);

}  // namespace arecipe::autoscheme
