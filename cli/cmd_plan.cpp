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
#include "engine/probe/sensitivity.h"
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
  std::string scores_file;      // scores instead of probing
  std::string write_scores;     // save the scores used
  std::string probe = "delta_loss";
  int nsamples = 16, seqlen = 256, batch_size = 8;  // upstream's AutoScheme defaults
  int resident_samples = 0;     // 0 = all (probe::ProbeRequest)
  std::string probe_cache;      // "" = probe::default_cache_dir()
  bool no_probe_cache = false;
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

autoscheme::ScoreSource score_source(const PlanArgs& a) {
  return [&a](const autoscheme::ScoreQuery& q) {
    autoscheme::SensitivityTable t;
    if (!a.scores_file.empty()) {
      t = autoscheme::sensitivity_from_json(read_text_file(a.scores_file), a.scores_file);
    } else {
      probe::ProbeRequest req;
      req.model_dir = q.model.dir;
      req.recipe = &q.recipe;
      req.layers = q.layers;
      req.options = q.options;
      req.method = a.probe;
      req.nsamples = a.nsamples, req.seqlen = a.seqlen, req.batch_size = a.batch_size;
      req.resident_samples = a.resident_samples;
      req.cache_dir = a.no_probe_cache ? "" : a.probe_cache.empty() ? probe::default_cache_dir() : a.probe_cache;
      req.progress = !a.json;
      std::fprintf(stderr, "probing %zu layers x %zu options (%s, %d samples x %d tokens)\n", q.layers.size(),
                   q.options.size(), a.probe.c_str(), a.nsamples, a.seqlen);
      t = probe::probe_sensitivity(req);
    }
    if (!a.write_scores.empty()) {
      write_file_atomic(a.write_scores, autoscheme::sensitivity_to_json(t));
      std::fprintf(stderr, "wrote %s\n", a.write_scores.c_str());
    }
    return t;
  };
}

void run_plan(PlanArgs& a) {
  a.request.scores = score_source(a);
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
  sub->add_option("--scores", args->scores_file, "Target: read sensitivity scores from this JSON file instead of probing");
  sub->add_option("--write-scores", args->write_scores, "Target: save the sensitivity scores used as JSON");
  sub->add_option("--probe", args->probe, "Target: probe method, delta_loss (upstream's) or block_mse")
      ->capture_default_str();
  sub->add_option("--nsamples", args->nsamples, "Target: calibration samples for the probe")->capture_default_str();
  sub->add_option("--seqlen", args->seqlen, "Target: tokens per calibration sample for the probe")->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Target: probe batch size")->capture_default_str();
  sub->add_option("--resident-samples", args->resident_samples,
                  "Target: delta_loss holds block inputs for this many samples at once (0 = all; lower bounds memory)")
      ->capture_default_str();
  sub->add_option("--probe-cache", args->probe_cache,
                  "Target: probe cache folder (default $ARECIPE_PROBE_CACHE or ~/.cache/arecipe/probes)");
  sub->add_flag("--no-probe-cache", args->no_probe_cache, "Target: neither read nor write the probe cache");
  sub->add_flag("--allow-output-anywhere", args->request.allow_output_anywhere,
                "Let output: be absolute or outside the working directory");
  sub->callback([args] { run_plan(*args); });
});

}  // namespace
}  // namespace arecipe::cli
