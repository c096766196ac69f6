// The whole of `arecipe plan` as one call (recipe + model -> checked plan), so the
// CLI holds no logic and tests reach everything.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "autoscheme/layer_plan.h"
#include "autoscheme/model_source.h"
#include "dsl/recipe.h"

namespace arecipe::autoscheme {

// What the target allocator needs scored: the free layers (plan order) and the
// target's options. The CLI answers it with engine/probe (LibTorch) or a scores file;
// autoscheme/ itself never computes scores.
struct ScoreQuery {
  const dsl::Recipe& recipe;
  const ModelSource& model;
  std::vector<std::string> layers;
  std::vector<std::string> options;
};
using ScoreSource = std::function<SensitivityTable(const ScoreQuery&)>;

struct PlanRequest {
  std::string recipe;                // a path or a published recipe name
  std::string model;                 // --model DIR or config.json; "" = the recipe's model
  std::vector<std::string> overrides;  // --set
  bool allow_output_anywhere = false;
  // With a target: where the scores come from. Unset: the plan is made without an
  // allocation (free layers show the default scheme) and says so.
  ScoreSource scores;
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
