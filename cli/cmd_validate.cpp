// arecipe validate RECIPE [--model DIR]: check a recipe (language, values, extends,
// --set). With a model (--model, or a local model: in the recipe) also resolve it
// and run every plan-time check.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "autoscheme/planning.h"
#include "autoscheme/report.h"
#include "cli/command.h"
#include "dsl/loader.h"

namespace arecipe::cli {
namespace {

struct ValidateArgs {
  autoscheme::PlanRequest request;
  bool strict = false;
};

bool exists(const std::string& p) {
  struct stat st {};
  return !p.empty() && stat(p.c_str(), &st) == 0;
}

void run_validate(const ValidateArgs& a) {
  dsl::LoadOptions options;
  options.overrides = a.request.overrides;
  options.allow_output_anywhere = a.request.allow_output_anywhere;
  const std::string path = dsl::resolve_recipe_argument(a.request.recipe);
  const dsl::Recipe recipe = dsl::load_recipe(path, options);
  const bool have_model = !a.request.model.empty() || (recipe.model && exists(recipe.model->value));
  if (!have_model) {
    std::printf("%s: ok (%zu rules; no local model, so plan-time checks were skipped: pass --model DIR)\n",
                path.c_str(), recipe.rules.size());
    return;
  }
  const autoscheme::Planned p = autoscheme::plan_recipe(a.request);
  if (a.strict) autoscheme::fail_on_warnings(p.plan);
  std::fputs(autoscheme::warnings_text(p.plan).c_str(), stderr);
  std::printf("%s: ok (%zu rules, %zu layers of %s planned)\n", path.c_str(), recipe.rules.size(),
              p.plan.layers.size(), p.plan.inventory.architecture.c_str());
}

static CommandRegistrar reg("validate", 19, [](CLI::App& root) {
  auto args = std::make_shared<ValidateArgs>();
  auto* sub = root.add_subcommand("validate", "Check a recipe; with a model, also every plan-time constraint");
  add_log_flags(*sub);
  sub->add_option("recipe", args->request.recipe, "Recipe file or published recipe name")->required();
  sub->add_option("--model", args->request.model, "Model folder or config.json");
  sub->add_option("--set", args->request.overrides, "Override a recipe value: path=value (repeatable)");
  sub->add_flag("--strict", args->strict, "Treat warnings as errors");
  sub->add_flag("--allow-output-anywhere", args->request.allow_output_anywhere,
                "Let output: be absolute or outside the working directory");
  sub->callback([args] { run_validate(*args); });
});

}  // namespace
}  // namespace arecipe::cli
