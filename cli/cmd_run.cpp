// arecipe run RECIPE [--model DIR] [--set k=v]... [--force]: plan the recipe against the
// model, quantize with RTN and write every export format the recipe lists, with the
// lock file next to the weights. Only `tuning: {preset: rtn}` runs so far: SignRound
// (iters > 0) and opt-RTN's imatrix calibration are not implemented yet, and running
// RTN when a recipe asks for them would silently give a different model.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "autoscheme/planning.h"
#include "autoscheme/report.h"
#include "cli/command.h"
#include "cli/json_out.h"
#include "engine/util/error.h"
#include "exporters/model_export.h"

namespace arecipe::cli {
namespace {

struct RunArgs {
  autoscheme::PlanRequest request;
  std::string output;  // overrides the recipe's output:
  bool force = false;
  bool json = false;
};

exporters::LayerScheme to_layer_scheme(const schemes::Scheme& s) {
  return {s.bits, s.group_size, s.sym, s.data_type};
}

void require_rtn(const dsl::Recipe& r) {
  const std::string preset = r.tuning.preset ? r.tuning.preset->value : "default";
  if (preset == "rtn") return;
  throw Error(r.sources.front()->path + ": arecipe run implements RTN only so far (tuning: {preset: rtn}); "
              "tuning preset '" + preset + "' needs " +
              (preset == "opt_rtn" ? "opt-RTN's imatrix calibration" : "the SignRound tuner") +
              ", which is not implemented yet. Use --set tuning.preset=rtn for plain RTN.");
}

// The recipe's default scheme as the layers that no rule touched carry it; the
// export's global quantization_config keys. Falls back to the first quantized layer.
exporters::LayerScheme global_scheme(const autoscheme::Plan& plan) {
  const autoscheme::LayerPlan* first = nullptr;
  for (const auto& l : plan.layers) {
    if (l.keep) continue;
    if (!l.pinned) return to_layer_scheme(l.scheme);
    if (!first) first = &l;
  }
  if (!first) throw Error("arecipe run: the plan quantizes no layer");
  return to_layer_scheme(first->scheme);
}

void run(const RunArgs& a) {
  const autoscheme::Planned p = autoscheme::plan_recipe(a.request);
  require_rtn(p.recipe);
  std::fputs(autoscheme::warnings_text(p.plan).c_str(), stderr);

  exporters::ModelExportRequest req;
  req.model_dir = p.model.dir;
  req.out_dir = a.output.empty() ? p.recipe.output.value : a.output;
  req.force = a.force;
  req.global = global_scheme(p.plan);
  for (const auto& e : p.recipe.exports) req.formats.push_back(e.value);
  if (req.formats.empty()) req.formats.push_back("auto_round");  // upstream's default format
  for (const auto& l : p.plan.layers)
    req.layers.push_back({l.layer.name, !l.keep && !l.scheme.is_unquantized(), to_layer_scheme(l.scheme),
                          l.layer.block >= 0});
  // What auto-round's RTN run records beyond the scheme keys (after its filter).
  req.extra_keys = {{"enable_quanted_input", false}, {"autoround_version", "0.16.1"}};
  req.side_files["arecipe.lock.json"] = autoscheme::lock_json_text(p.recipe, p.plan, p.model);

  spdlog::info("quantizing {} with RTN into {}", p.model.dir, req.out_dir);
  const exporters::ModelExportResult r = exporters::quantize_and_export(req);
  for (const auto& name : r.kept_unpackable)
    spdlog::warn("{}: kept in source precision (in/out features not multiples of 32, as upstream)", name);
  if (a.json) {
    print_json({{"outputs", r.out_dirs}, {"quantized_layers", r.quantized}, {"kept_unpackable", r.kept_unpackable}});
  } else {
    for (const auto& d : r.out_dirs) std::printf("wrote %s (%zu layers quantized)\n", d.c_str(), r.quantized);
  }
}

static CommandRegistrar reg("run", 30, [](CLI::App& root) {
  auto args = std::make_shared<RunArgs>();
  auto* sub = root.add_subcommand("run", "Quantize a model as a recipe says (RTN) and export it");
  add_log_flags(*sub);
  sub->add_option("recipe", args->request.recipe, "Recipe file or published recipe name")->required();
  sub->add_option("--model", args->request.model, "Model folder (default: the recipe's model:)");
  sub->add_option("--set", args->request.overrides, "Override a recipe value: path=value (repeatable)");
  sub->add_option("--output", args->output, "Output folder (default: the recipe's output:)");
  sub->add_flag("--force", args->force, "Replace an existing output folder");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  sub->add_flag("--allow-output-anywhere", args->request.allow_output_anywhere,
                "Let output: be absolute or outside the working directory");
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace arecipe::cli
