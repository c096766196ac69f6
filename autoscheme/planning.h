// The whole of `arecipe plan` as one call (recipe + model -> checked plan), so the
// CLI holds no logic and tests reach everything.
#pragma once
#include <string>
#include <vector>

#include "autoscheme/layer_plan.h"
#include "autoscheme/model_source.h"
#include "dsl/recipe.h"

namespace arecipe::autoscheme {

struct PlanRequest {
  std::string recipe;                // a path or a published recipe name
  std::string model;                 // --model DIR or config.json; "" = the recipe's model
  std::vector<std::string> overrides;  // --set
  bool allow_output_anywhere = false;
};

struct Planned {
  dsl::Recipe recipe;
  ModelSource model;
  Plan plan;
};

Planned plan_recipe(const PlanRequest& request);

// With --strict, warnings (a rule matching nothing) are errors.
void fail_on_warnings(const Plan& plan);

}  // namespace arecipe::autoscheme
