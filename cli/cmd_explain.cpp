// arecipe explain RECIPE LAYER [--model DIR]: which rule set which field of one layer.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "autoscheme/explain.h"
#include "autoscheme/planning.h"
#include "cli/command.h"

namespace arecipe::cli {
namespace {

struct ExplainArgs {
  autoscheme::PlanRequest request;
  std::string layer;
};

static CommandRegistrar reg("explain", 21, [](CLI::App& root) {
  auto args = std::make_shared<ExplainArgs>();
  auto* sub = root.add_subcommand("explain", "Show which rule set each field of one layer");
  add_log_flags(*sub);
  sub->add_option("recipe", args->request.recipe, "Recipe file or published recipe name")->required();
  sub->add_option("layer", args->layer, "Module name, e.g. model.layers.0.self_attn.q_proj")->required();
  sub->add_option("--model", args->request.model, "Model folder or config.json");
  sub->add_option("--set", args->request.overrides, "Override a recipe value: path=value (repeatable)");
  sub->callback([args] {
    const autoscheme::Planned p = autoscheme::plan_recipe(args->request);
    std::fputs(autoscheme::explain_layer(p.recipe, p.plan, args->layer).c_str(), stdout);
  });
});

}  // namespace
}  // namespace arecipe::cli
