// arecipe diff A B [--model DIR]: what changes between two recipes on one model.
// Exits 0 when identical, 1 when they differ (like diff(1)).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "autoscheme/planning.h"
#include "autoscheme/recipe_diff.h"
#include "cli/command.h"

namespace arecipe::cli {
namespace {

struct DiffArgs {
  autoscheme::PlanRequest a, b;
  std::string model;
  std::vector<std::string> overrides;
};

static CommandRegistrar reg("diff", 23, [](CLI::App& root) {
  auto args = std::make_shared<DiffArgs>();
  auto* sub = root.add_subcommand("diff", "Compare the plans and settings of two recipes on one model");
  add_log_flags(*sub);
  sub->add_option("a", args->a.recipe, "First recipe (file or published name)")->required();
  sub->add_option("b", args->b.recipe, "Second recipe (file or published name)")->required();
  sub->add_option("--model", args->model, "Model folder or config.json (default: each recipe's model:)");
  sub->callback([args] {
    args->a.model = args->b.model = args->model;
    const autoscheme::Planned a = autoscheme::plan_recipe(args->a);
    const autoscheme::Planned b = autoscheme::plan_recipe(args->b);
    const std::string text = autoscheme::diff_plans({a.recipe, a.plan}, {b.recipe, b.plan});
    if (text.empty()) {
      std::printf("no differences\n");
      return;
    }
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
    std::exit(1);
  });
});

}  // namespace
}  // namespace arecipe::cli
