#include "autoscheme/planning.h"

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
  return p;
}

void fail_on_warnings(const Plan& plan) {
  if (plan.warnings.empty()) return;
  const auto& w = plan.warnings.front();
  throw Error(dsl::format_diagnostic(w.loc, w.message + " (--strict makes warnings errors)"));
}

}  // namespace arecipe::autoscheme
