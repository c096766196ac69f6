// Every constraint that would otherwise fail hours into a run, checked at plan time
// (architecture.md section 3): schemes that are no real number format, export
// formats that cannot hold a scheme, group sizes that do not fit a layer, fused
// layers (tie groups) with different schemes, an unreachable bits target.
#pragma once
#include "autoscheme/layer_plan.h"

namespace arecipe::autoscheme {

// Throws a diagnostic pointing at the recipe line that caused the first problem.
void run_checks(const dsl::Recipe& recipe, Plan& plan);

// After the target allocator wrote its choice: schemes valid, formats hold them,
// tie groups intact (the allocator's own invariants, checked like a rule's).
void check_allocated(const dsl::Recipe& recipe, const Plan& plan);

// Tie groups in effect: lists of indices into plan.layers that must share a scheme.
std::vector<std::vector<size_t>> tie_groups(const dsl::Recipe& recipe, const Plan& plan);

}  // namespace arecipe::autoscheme
