// The result of applying a recipe's rules to a model's inventory: one entry per
// linear layer with its final scheme (or "kept in source precision") and, for every
// field, which rule set it. This is what plan prints, explain explains, the lock file
// records and the engine quantizes.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "autoscheme/sensitivity.h"
#include "dsl/recipe.h"
#include "engine/model/inventory.h"
#include "schemes/scheme.h"

namespace arecipe::autoscheme {

// The fields a rule can set, in display order.
enum class Field {
  keep, bits, group_size, sym, data_type, act_bits, act_group_size, act_sym, act_data_type,
  act_dynamic, super_bits, super_group_size, count
};
constexpr size_t kFieldCount = static_cast<size_t>(Field::count);
const char* field_name(Field f);

// Who decided a field: a built-in default, the recipe's default `scheme:`, or rule N.
constexpr int kBuiltin = -1;
constexpr int kDefaultScheme = 0;
// ... or the target allocator (docs/autoscheme.md), for the layers it chose for.
constexpr int kAllocator = -2;

struct LayerPlan {
  LayerInfo layer;
  bool keep = false;
  schemes::Scheme scheme;  // the cascaded scheme; for kept layers what it would be
  std::array<int, kFieldCount> source{};  // kBuiltin, kDefaultScheme or a rule index
  // A rule set a scheme field or kept the layer: a target allocator leaves it alone
  // (a rule that only says `keep: false` hands the layer to the allocator).
  bool pinned = false;
  // The scheme actually stored: `scheme`, or 16-bit for kept layers.
  schemes::Scheme effective() const;
};

struct Warning {
  dsl::SourceLoc loc;
  std::string message;
  // --strict turns it into an error; false for notices about the command rather than
  // the recipe (a target that only `plan` allocates).
  bool strict = true;
};

struct Summary {
  struct Row {
    std::string label;  // "int4 g128 sym", "kept (bf16)"
    size_t layers = 0;
    int64_t params = 0;
    double bits_per_weight = 0;  // with scale/zp bits
  };
  std::vector<Row> by_scheme;  // first appearance order
  int64_t params = 0;
  double avg_bits = 0;               // all planned linears, kept ones at 16, scale/zp counted
  double avg_weight_bits = 0;        // the same without scale/zp bits
  double avg_bits_quantized = 0;     // quantized layers only, scale/zp counted
  double avg_weight_bits_quantized = 0;
  size_t kept = 0;
  size_t quantized = 0;
};

// What the target allocator decided (autoscheme/allocate.h), for reports and the lock.
struct Allocation {
  SensitivityTable table;            // the scores it used
  std::vector<std::string> options;  // target.options, canonical names, in recipe order
  std::vector<int> choice;           // per plan layer: option index, -1 if not chosen here
  std::vector<int> unit;             // per plan layer: decision unit, -1 if not chosen here
  std::vector<int> tied_to;          // per plan layer: the pinned layer a tie made it follow, or -1
  size_t units = 0;
  double target = 0;
  bool count_scale_bits = true;
  int64_t params = 0;       // the denominator: every quantized linear (free and pinned)
  int64_t budget_bits = 0;  // P = floor(params * target) - fixed_bits
  int64_t fixed_bits = 0;   // pinned layers (and layers tied to them)
  int64_t used_bits = 0;    // what the chosen options cost, <= budget_bits
  double loss = 0;          // summed score of the choice
  std::vector<double> option_loss;  // per option: its summed score over all units
  bool exact = true;        // false when the DP had to coarsen costs (knapsack.h)
  int64_t resolution = 1;
  size_t peak_states = 0;
  std::vector<std::string> notes;  // e.g. how the lm_head rule restricted its options
  // The scores row of plan layer i in `options` order (empty if not scored).
  std::vector<double> scores_of(const std::string& layer) const;
};

struct Plan {
  Inventory inventory;
  std::vector<LayerPlan> layers;  // inventory order
  std::vector<Warning> warnings;
  std::vector<size_t> rule_matches;  // per rule (index - 1): layers it matched
  Summary summary;
  // With a target: the average bits range the options allow (pinned layers fixed).
  double target_min_bits = 0, target_max_bits = 0;
  // With a target and sensitivity scores: the allocator's decision (applied to layers).
  std::optional<Allocation> allocation;
  const LayerPlan* find(const std::string& name) const;
};

}  // namespace arecipe::autoscheme
