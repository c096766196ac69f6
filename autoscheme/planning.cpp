#include "autoscheme/planning.h"

#include "autoscheme/allocate.h"
#include "autoscheme/resolve.h"
#include "dsl/loader.h"
#include "engine/util/error.h"

namespace arecipe::autoscheme {

Planned plan_recipe(const PlanRequest& request) {
  dsl::LoadOptions options;
  options.overrides = request.overrides;
  options.allow_output_anywhere = request.allow_output_anywhere;
  Planned p;
  p.recipe = dsl::load_recipe(dsl::resolve_recipe_argument(request.recipe), options);
  p.model = model_for_recipe(p.recipe, request.model);
  p.plan = resolve(p.recipe, inventory_from_config(p.model.config));
  if (p.recipe.target && !request.scores && !free_layer_names(p.plan).empty())
    p.plan.warnings.push_back({p.recipe.target->loc,
                               "target: not allocated by this command (only `arecipe plan` scores and allocates); "
                               "layers no rule pinned show the default scheme",
                               false});
  if (p.recipe.target && request.scores) {
    std::vector<std::string> layers = free_layer_names(p.plan);
    if (!layers.empty()) {
      std::vector<std::string> options;
      for (const auto& o : p.recipe.target->options) options.push_back(o.value);
      const SensitivityTable table = request.scores(ScoreQuery{p.recipe, p.model, std::move(layers), options});
      apply_allocation(p.recipe, p.plan, allocate(p.recipe, p.plan, table));
    }
  }
  return p;
}

void fail_on_warnings(const Plan& plan) {
  for (const auto& w : plan.warnings)
    if (w.strict) throw Error(dsl::format_diagnostic(w.loc, w.message + " (--strict makes warnings errors)"));
}

}  // namespace arecipe::autoscheme
