#include "autoscheme/knapsack.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "engine/util/error.h"

namespace arecipe::autoscheme {

namespace {

// The history of every step (parent state + option, 5 bytes a state) is what the
// answer is read back from; its total is capped too, so a model with many units runs
// at a coarser resolution instead of running out of memory.
constexpr size_t kMaxHistoryStates = size_t{64} << 20;  // 320 MiB

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

struct Scaled {
  int64_t cost;  // in units of the resolution
  double loss;
  uint8_t local;  // index into the unit's option list
};

// The DP proper over scaled residual costs in [0, limit]. Pareto mode keeps a state
// only if its loss beats every cheaper state's; otherwise every distinct total keeps
// its least loss. Returns the final states and the per-step history.
struct Dp {
  std::vector<int64_t> cost;
  std::vector<double> loss;
  std::vector<std::vector<uint32_t>> parent;
  std::vector<std::vector<uint8_t>> picked;
  size_t peak = 1;
};

Dp run_dp(const std::vector<std::vector<Scaled>>& units, int64_t limit, bool pareto) {
  Dp dp;
  dp.cost = {0};
  dp.loss = {0.0};
  dp.parent.resize(units.size());
  dp.picked.resize(units.size());
  std::vector<size_t> head;
  std::vector<int64_t> next_cost;
  std::vector<double> next_loss;
  for (size_t u = 0; u < units.size(); ++u) {
    const auto& opts = units[u];
    // K-way merge of the states shifted by each option's cost, in increasing cost.
    head.assign(opts.size(), 0);
    next_cost.clear();
    next_loss.clear();
    auto& par = dp.parent[u];
    auto& pick = dp.picked[u];
    double best_cheaper = std::numeric_limits<double>::infinity();
    while (true) {
      int64_t c = std::numeric_limits<int64_t>::max();
      for (size_t k = 0; k < opts.size(); ++k)
        if (head[k] < dp.cost.size()) c = std::min(c, dp.cost[head[k]] + opts[k].cost);
      if (c > limit) break;
      // Every candidate at cost c: the least loss among them (first wins ties).
      double best = std::numeric_limits<double>::infinity();
      uint32_t best_parent = 0;
      uint8_t best_pick = 0;
      for (size_t k = 0; k < opts.size(); ++k) {
        while (head[k] < dp.cost.size() && dp.cost[head[k]] + opts[k].cost == c) {
          const double l = dp.loss[head[k]] + opts[k].loss;
          if (l < best) best = l, best_parent = static_cast<uint32_t>(head[k]), best_pick = opts[k].local;
          ++head[k];
        }
      }
      if (pareto && !(best < best_cheaper)) continue;
      next_cost.push_back(c);
      next_loss.push_back(best);
      par.push_back(best_parent);
      pick.push_back(best_pick);
      best_cheaper = std::min(best_cheaper, best);
    }
    dp.cost.swap(next_cost);
    dp.loss.swap(next_loss);
    dp.peak = std::max(dp.peak, dp.cost.size());
  }
  return dp;
}

void read_back(const std::vector<std::vector<KnapsackOption>>& units, const Dp& dp, size_t state, KnapsackResult& res) {
  res.feasible = true;
  res.loss = dp.loss[state];
  res.bits = 0;
  res.choice.assign(units.size(), 0);
  for (size_t u = units.size(); u-- > 0;) {
    const auto& o = units[u][dp.picked[u][state]];
    res.choice[u] = o.id;
    res.bits += o.bits;
    state = dp.parent[u][state];
  }
}

}  // namespace

KnapsackResult solve_knapsack(const std::vector<std::vector<KnapsackOption>>& units, int64_t budget,
                              size_t max_states, int64_t floor_bits) {
  KnapsackResult res;
  const size_t n = units.size();
  if (n == 0) {
    res.feasible = budget >= 0;
    res.reached_floor = floor_bits <= 0;
    return res;
  }
  // Shift each unit by its cheapest option: the all-cheapest selection costs 0 extra,
  // so coarsening can never make a feasible instance infeasible.
  int64_t base = 0, g = 0;
  std::vector<int64_t> min_cost(n);
  for (size_t i = 0; i < n; ++i) {
    if (units[i].empty()) throw Error("knapsack: unit " + std::to_string(i) + " has no option");
    if (units[i].size() > 255) throw Error("knapsack: more than 255 options for one unit");
    int64_t m = std::numeric_limits<int64_t>::max();
    for (const auto& o : units[i]) {
      if (o.bits < 0) throw Error("knapsack: negative cost");
      m = std::min(m, o.bits);
    }
    min_cost[i] = m;
    base += m;
    for (const auto& o : units[i]) g = std::gcd(g, o.bits - m);
  }
  if (base > budget) {
    res.reached_floor = false;
    return res;
  }
  const int64_t slack = budget - base;
  if (g == 0) g = 1;
  const size_t cap = std::max<size_t>(2, std::min(max_states, std::max<size_t>(1024, kMaxHistoryStates / n)));
  int64_t q = g;
  if (slack / g + 1 > static_cast<int64_t>(cap)) q = g * ceil_div(slack, g * static_cast<int64_t>(cap - 1));
  const int64_t limit = slack / q;  // states live in [0, limit]: at most cap of them
  res.resolution = q;
  res.exact = q == g;

  std::vector<std::vector<Scaled>> scaled(n);
  for (size_t u = 0; u < n; ++u) {
    for (size_t k = 0; k < units[u].size(); ++k)
      scaled[u].push_back({ceil_div(units[u][k].bits - min_cost[u], q), units[u][k].loss, static_cast<uint8_t>(k)});
    std::stable_sort(scaled[u].begin(), scaled[u].end(), [](const Scaled& a, const Scaled& b) { return a.cost < b.cost; });
  }
  {
    // Losses fall strictly along a Pareto front, so its last state is the least loss.
    const Dp dp = run_dp(scaled, limit, true);
    read_back(units, dp, dp.cost.size() - 1, res);
    res.peak_states = dp.peak;
  }
  res.reached_floor = floor_bits < 0 || res.bits >= floor_bits;
  if (res.reached_floor) return res;

  // Below the floor: every distinct total matters now.
  const Dp dp = run_dp(scaled, limit, false);
  res.peak_states = std::max(res.peak_states, dp.peak);
  res.windowed = true;
  const int64_t floor_scaled = std::max<int64_t>(0, ceil_div(floor_bits - base, q));
  size_t pick = dp.cost.size() - 1;  // the costliest, when none reaches the floor
  for (size_t s = 0; s < dp.cost.size(); ++s)
    if (dp.cost[s] >= floor_scaled && (dp.cost[pick] < floor_scaled || dp.loss[s] < dp.loss[pick])) pick = s;
  read_back(units, dp, pick, res);
  res.reached_floor = res.bits >= floor_bits;
  return res;
}

}  // namespace arecipe::autoscheme
