// arecipe plan RECIPE [--model DIR] [--json] [--set k=v]...: resolve a recipe against a
// model's config.json, print the per-layer plan (or JSON) and write arecipe.lock.json.
// With a `target:`, the free layers' schemes come from the allocator
// (autoscheme/allocate.h), scored by the sensitivity probes (engine/probe) or a scores
// file; the plan then shows each layer's choice and scores and an HTML report is
// written next to the lock file.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "autoscheme/html_report.h"
#include "autoscheme/planning.h"
#include "autoscheme/report.h"
#include "cli/command.h"
#include "cli/score_source.h"
#include "engine/util/files.h"

namespace arecipe::cli {
namespace {

struct PlanArgs {
  autoscheme::PlanRequest request;
  bool json = false;
  bool full = false;
  bool strict = false;
  bool no_lock = false;
  std::string lock = "arecipe.lock.json";
  std::string html;             // "" = next to the lock file when there is a target
  ScoreOptions scores;          // --scores / --probe ... (cli/score_source.h)
};

// "out/arecipe.lock.json" -> "out/arecipe.plan.html"
std::string html_beside(const std::string& lock) {
  std::filesystem::path p(lock);
  std::string stem = p.filename().string();
  const std::string suffix = ".lock.json";
  if (stem.size() > suffix.size() && stem.compare(stem.size() - suffix.size(), suffix.size(), suffix) == 0)
    stem.resize(stem.size() - suffix.size());
  else
    stem = p.stem().string();
  return (p.parent_path() / (stem + ".plan.html")).string();
}

void run_plan(PlanArgs& a) {
  a.scores.progress = !a.json;
  a.request.scores = score_source(a.scores);
  const autoscheme::Planned p = autoscheme::plan_recipe(a.request);
  if (a.strict) autoscheme::fail_on_warnings(p.plan);
  std::fputs(autoscheme::warnings_text(p.plan).c_str(), stderr);
  if (a.json) {
    std::printf("%s\n", autoscheme::plan_json_text(p.recipe, p.plan, p.model).c_str());
  } else {
    autoscheme::TableOptions t;
    t.full = a.full;
    std::fputs(autoscheme::plan_table(p.recipe, p.plan, t).c_str(), stdout);
    std::fputs("\n", stdout);
    std::fputs(autoscheme::plan_summary(p.recipe, p.plan).c_str(), stdout);
  }
  if (!a.no_lock) {
    write_file_atomic(a.lock, autoscheme::lock_json_text(p.recipe, p.plan, p.model));
    std::fprintf(stderr, "wrote %s\n", a.lock.c_str());
  }
  std::string html = a.html;
  if (html.empty() && p.recipe.target && !a.no_lock) html = html_beside(a.lock);
  if (!html.empty()) {
    write_file_atomic(html, autoscheme::plan_html(p.recipe, p.plan));
    std::fprintf(stderr, "wrote %s\n", html.c_str());
  }
}

static CommandRegistrar reg("plan", 20, [](CLI::App& root) {
  auto args = std::make_shared<PlanArgs>();
  auto* sub = root.add_subcommand("plan", "Resolve a recipe against a model's config.json: per-layer plan, bits, lock file");
  add_log_flags(*sub);
  sub->add_option("recipe", args->request.recipe, "Recipe file or published recipe name")->required();
  sub->add_option("--model", args->request.model, "Model folder or config.json (default: the recipe's model:)");
  sub->add_option("--set", args->request.overrides, "Override a recipe value: path=value (repeatable)");
  sub->add_flag("--json", args->json, "Print the plan as JSON");
  sub->add_flag("--full", args->full, "One row per layer (do not fold routed experts)");
  sub->add_flag("--strict", args->strict, "Treat warnings (a rule matching nothing) as errors");
  sub->add_option("--lock", args->lock, "Where to write the lock file")->capture_default_str();
  sub->add_flag("--no-lock", args->no_lock, "Do not write a lock file");
  sub->add_option("--html", args->html,
                  "Write the HTML report (bits-per-layer chart) here (default with a target: beside the lock file)");
  add_score_flags(*sub, args->scores);
  sub->add_flag("--allow-output-anywhere", args->request.allow_output_anywhere,
                "Let output: be absolute or outside the working directory");
  sub->callback([args] { run_plan(*args); });
});

}  // namespace
}  // namespace arecipe::cli
