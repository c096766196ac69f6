// The AutoScheme allocator (docs/autoscheme.md, upstream spec 7.3-7.4): given a plan
// whose recipe has a `target:` and per-layer sensitivity scores, choose one of
// target.options for every free layer (not kept, no rule set its scheme) so that the
// average bits over the quantized linears is at most avg_bits and the summed score is
// least. Decision units are single layers, tie groups (fused q/k/v and gate/up, the
// recipe's `tie:` groups) and all routed experts of one block; a unit takes one
// option, its scores and bits summed. Torch-free: scores come in as a value.
#pragma once
#include <string>
#include <vector>

#include "autoscheme/knapsack.h"
#include "autoscheme/layer_plan.h"
#include "autoscheme/sensitivity.h"

namespace arecipe::autoscheme {

// How far below the target the achieved average may fall. The least-score choice
// within budget (upstream's answer) can leave several hundredths of a bit unused on
// 8B-class models; the allocator then takes the least-score choice within this
// distance of the target instead (docs/autoscheme.md, a deliberate difference).
constexpr double kTargetTolerance = 0.01;

// The layers the allocator chooses for, in plan order: what a probe must score.
std::vector<std::string> free_layer_names(const Plan& plan);

// Decides; throws a diagnostic at the recipe's avg_bits for an unreachable target
// (stating the reachable range), and an Error naming the layer or option for scores
// that do not cover the free layers and options.
Allocation allocate(const dsl::Recipe& recipe, const Plan& plan, const SensitivityTable& scores,
                    size_t max_states = kDefaultMaxStates);

// Writes the decision into the plan's layers (source: kAllocator), stores it in
// plan.allocation, re-runs the format and tie checks and recomputes the summary.
void apply_allocation(const dsl::Recipe& recipe, Plan& plan, Allocation allocation);

}  // namespace arecipe::autoscheme
