// How a plan is shown: the per-layer table and summary for people, JSON for tools,
// and the lock file (architecture.md section 4).
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "autoscheme/layer_plan.h"
#include "autoscheme/model_source.h"

namespace arecipe::autoscheme {

struct TableOptions {
  // Routed experts of one block with identical plans print as one row
  // ("mlp.experts.*.gate_proj x256") unless `full` is set.
  bool full = false;
};

std::string plan_table(const dsl::Recipe& recipe, const Plan& plan, const TableOptions& options = {});
std::string plan_summary(const dsl::Recipe& recipe, const Plan& plan);
std::string warnings_text(const Plan& plan);

// The scheme of one layer in upstream's layer_config shape:
// {bits, group_size, sym, data_type[, act_*][, super_*]}; kept layers are
// {bits: 16, data_type: "float"}.
nlohmann::json layer_config_entry(const LayerPlan& layer);

// The target allocator's decision in numbers (units, budget, achieved averages, notes).
nlohmann::json allocation_json(const Plan& plan);

// Everything but the per-layer rows (recipe, model, summary, rules, warnings).
nlohmann::json plan_json(const dsl::Recipe& recipe, const Plan& plan, const ModelSource& model);
// plan_json plus "layers": one row per layer with its scheme and per-field origin.
std::string plan_json_text(const dsl::Recipe& recipe, const Plan& plan, const ModelSource& model);

// sha256 over every recipe file (path and text) and the --set overrides.
std::string recipe_sha256(const dsl::Recipe& recipe);

// The lock file without its per-layer layer_config ...
nlohmann::json lock_json(const dsl::Recipe& recipe, const Plan& plan, const ModelSource& model);
// ... and with it: the text of arecipe.lock.json.
std::string lock_json_text(const dsl::Recipe& recipe, const Plan& plan, const ModelSource& model);

}  // namespace arecipe::autoscheme
