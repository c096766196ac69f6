// arecipe probe RECIPE [--method delta_loss|block_mse] [--options A,B] [--json] ...:
// the AutoScheme sensitivity scores of the recipe's free layers (not pinned by a rule,
// not kept in full precision) for each option of target.options, as a per-layer table.
// `plan` runs the same probes for a recipe with a target; this shows the raw numbers.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "autoscheme/planning.h"
#include "cli/command.h"
#include "cli/json_out.h"
#include "engine/probe/sensitivity.h"
#include "engine/util/error.h"
#include "engine/util/runtime.h"
#include "schemes/presets.h"

namespace arecipe::cli {
namespace {

struct ProbeArgs {
  autoscheme::PlanRequest request;
  std::string method = "delta_loss";
  std::vector<std::string> options;
  int nsamples = 16, seqlen = 256, batch_size = 8, resident_samples = 0;
  std::string cache_dir;
  bool no_cache = false;
  bool json = false;
  int threads = 0;
};

std::vector<std::string> probe_options(const ProbeArgs& a, const dsl::Recipe& r) {
  std::vector<std::string> out;
  if (!a.options.empty()) {
    for (const auto& o : a.options) {
      const auto c = schemes::canonical_preset_name(o);
      out.push_back(c ? *c : o);  // unknown names are refused by the probe with a hint
    }
    return out;
  }
  if (!r.target)
    fail(r.sources.front()->path, "has no target: to take options from; pass --options, e.g. "
                                  "--options W2A16G32,W4A16G32,W8A16G32");
  for (const auto& o : r.target->options) out.push_back(o.value);
  return out;
}

void run_probe(const ProbeArgs& a) {
  init_runtime(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const autoscheme::Planned p = autoscheme::plan_recipe(a.request);
  probe::ProbeRequest req;
  req.model_dir = p.model.dir;
  req.recipe = &p.recipe;
  for (const auto& l : p.plan.layers)
    if (!l.keep && !l.pinned) req.layers.push_back(l.layer.name);
  if (req.layers.empty())
    fail(p.recipe.sources.front()->path, "every layer is pinned by a rule or kept: nothing to probe");
  req.options = probe_options(a, p.recipe);
  req.method = a.method;
  req.nsamples = a.nsamples;
  req.seqlen = a.seqlen;
  req.batch_size = a.batch_size;
  req.resident_samples = a.resident_samples;
  req.cache_dir = a.no_cache ? "" : (a.cache_dir.empty() ? probe::default_cache_dir() : a.cache_dir);
  req.progress = !a.json && spdlog::get_level() <= spdlog::level::info;
  const autoscheme::SensitivityTable t = probe::probe_sensitivity(req);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (a.json) {
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const auto& name : req.layers) {
      nlohmann::ordered_json s = nlohmann::ordered_json::object();
      for (size_t k = 0; k < t.options.size(); ++k) s[t.options[k]] = t.scores.at(name)[k];
      layers.push_back({{"name", name}, {"scores", s}});
    }
    nlohmann::ordered_json j;
    j["model"] = p.model.dir;
    j["method"] = t.method;
    j["options"] = t.options;
    j["nsamples"] = req.nsamples;
    j["seqlen"] = req.seqlen;
    j["batch_size"] = req.batch_size;
    j["layers"] = layers;
    j["seconds"] = seconds;
    print_json(j);
    return;
  }
  size_t width = 5;
  for (const auto& name : req.layers) width = std::max(width, name.size());
  std::printf("%-*s", static_cast<int>(width), "layer");
  for (const auto& o : t.options) std::printf("  %12s", o.c_str());
  std::printf("\n");
  for (const auto& name : req.layers) {
    std::printf("%-*s", static_cast<int>(width), name.c_str());
    for (double v : t.scores.at(name)) std::printf("  %12.5g", v);
    std::printf("\n");
  }
  std::printf("\n%s scores of %zu layers, %d samples x %d tokens, %.1f s\n", t.method.c_str(), req.layers.size(),
              req.nsamples, req.seqlen, seconds);
}

static CommandRegistrar reg("probe", 25, [](CLI::App& root) {
  auto args = std::make_shared<ProbeArgs>();
  auto* sub = root.add_subcommand("probe", "Per-layer AutoScheme sensitivity scores for each candidate option");
  add_log_flags(*sub);
  sub->add_option("recipe", args->request.recipe, "Recipe file or published recipe name")->required();
  sub->add_option("--model", args->request.model, "Model folder (default: the recipe's model:)");
  sub->add_option("--set", args->request.overrides, "Override a recipe value: path=value (repeatable)");
  sub->add_option("--method", args->method, "delta_loss (upstream's gradient score) or block_mse")
      ->check(CLI::IsMember({"delta_loss", "block_mse"}))
      ->capture_default_str();
  sub->add_option("--options", args->options, "Options to score (default: the recipe's target.options)")
      ->delimiter(',');
  sub->add_option("--nsamples", args->nsamples, "Calibration samples")->capture_default_str();
  sub->add_option("--seqlen", args->seqlen, "Tokens per sample")->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Samples per forward/backward batch")->capture_default_str();
  sub->add_option("--resident-samples", args->resident_samples,
                  "delta_loss: hold block inputs for at most this many samples (0 = all; bounds memory)");
  sub->add_option("--cache-dir", args->cache_dir, "Score cache (default: $ARECIPE_PROBE_CACHE or ~/.cache/arecipe/probes)");
  sub->add_flag("--no-cache", args->no_cache, "Neither read nor write cached scores");
  sub->add_option("--threads", args->threads, "CPU threads (default: all cores)");
  sub->add_flag("--json", args->json, "Print the scores as JSON");
  sub->add_flag("--allow-output-anywhere", args->request.allow_output_anywhere,
                "Let output: be absolute or outside the working directory");
  sub->callback([args] { run_probe(*args); });
});

}  // namespace
}  // namespace arecipe::cli
