// `arecipe diff A B`: what changes between two recipes, as the model sees it: every
// layer whose scheme differs (with the rule that decided it on each side), the
// averages, and the recipe settings that differ (tuning, export, ...).
#pragma once
#include <string>

#include "autoscheme/layer_plan.h"

namespace arecipe::autoscheme {

struct PlannedSide {
  const dsl::Recipe& recipe;
  const Plan& plan;
};

// Text report; "" when the plans and settings are identical. Both plans must be of
// the same architecture.
std::string diff_plans(const PlannedSide& a, const PlannedSide& b);

}  // namespace arecipe::autoscheme
