// Exact multiple-choice knapsack over integer bit totals, as upstream's
// choose_bits_per_layer_with_path (auto_scheme/delta_loss.py): every unit picks exactly
// one of its options, the summed cost may not exceed the budget, the summed loss is
// minimal. States are (total bits -> least loss), Pareto-pruned after every unit
// (a state survives only if its loss is strictly below every cheaper state's).
//
// Memory is bounded a priori: costs are first shifted by each unit's cheapest option
// and divided by their greatest common divisor (both exact), so the states of a step
// are at most floor(budget' / g) + 1. Where that still exceeds `max_states`, costs are
// rounded UP to a coarser resolution q (a multiple of g) and the budget DOWN; any
// selection that fits the coarse budget then fits the real one:
//   sum r_i <= q * sum ceil(r_i / q) <= q * floor(B / q) <= B,
// so the answer never exceeds the budget; it may then miss the exact optimum by at
// most one resolution step per unit, which `exact = false` reports.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace arecipe::autoscheme {

struct KnapsackOption {
  int64_t bits = 0;   // cost, >= 0
  double loss = 0;    // lower is better
  int id = 0;         // caller's option index, returned in the answer
};

struct KnapsackResult {
  bool feasible = false;
  double loss = 0;
  int64_t bits = 0;              // exact summed cost of the chosen options
  std::vector<int> choice;       // per unit: the chosen option's id
  bool exact = true;             // false when costs had to be coarsened (see above)
  int64_t resolution = 1;        // q: the cost granularity the DP ran at
  size_t peak_states = 0;        // largest Pareto front seen (or state set, second DP)
  bool reached_floor = true;     // with floor_bits: whether the answer costs >= it
  bool windowed = false;         // the second, floor-seeking DP decided
};

// Default cap: 2^20 states per step (5 bytes of history each).
constexpr size_t kDefaultMaxStates = size_t{1} << 20;

// `units[i]` lists unit i's admissible options (at least one each). Infeasible when
// even the cheapest choice per unit exceeds `budget`.
//
// With `floor_bits` >= 0 the answer should also cost at least floor_bits: the least
// loss among selections costing [floor_bits, budget], or, when no selection lands
// there, the costliest one within budget (least loss among equals). The min-loss
// answer is tried first (Pareto DP); only when it falls below the floor does a second
// DP run that keeps the least loss of every distinct total (a window on the final
// total defeats Pareto pruning), bounded by the same state cap.
KnapsackResult solve_knapsack(const std::vector<std::vector<KnapsackOption>>& units, int64_t budget,
                              size_t max_states = kDefaultMaxStates, int64_t floor_bits = -1);

}  // namespace arecipe::autoscheme
