#include "autoscheme/allocate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "autoscheme/checks.h"
#include "autoscheme/summary.h"
#include "engine/util/error.h"
#include "schemes/bits.h"
#include "schemes/formats.h"
#include "schemes/presets.h"

namespace arecipe::autoscheme {

namespace {

bool is_free(const LayerPlan& l) { return !l.keep && !l.pinned; }

bool is_routed_expert(Role r) { return r == Role::expert_gate || r == Role::expert_up || r == Role::expert_down; }

std::string fixed4(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t find(size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(size_t a, size_t b) { parent[find(b)] = find(a); }
};

int64_t cost_of(const schemes::Scheme& s, const LayerInfo& l, bool count_scale_bits) {
  const auto b = schemes::layer_bits(s, l.out_features, l.in_features);
  return std::llround(count_scale_bits ? b.total_bits : b.weight_bits);
}

// One decision: its member layers and, per option, the summed cost and score; an
// option some member's shape or an export format cannot take is not admissible.
struct Unit {
  std::vector<size_t> layers;
  std::vector<int64_t> bits;
  std::vector<double> loss;
  std::vector<bool> admissible;
};

// The largest P with P / params <= target in double arithmetic, so that the achieved
// average, computed the same way, can never print above the target.
int64_t bit_ceiling(int64_t params, double target) {
  const double p = static_cast<double>(params);
  auto P = static_cast<int64_t>(std::floor(p * target));
  while (static_cast<double>(P + 1) / p <= target) ++P;
  while (P > 0 && static_cast<double>(P) / p > target) --P;
  return P;
}

int64_t min_admissible(const Unit& u, const std::vector<bool>& allowed) {
  int64_t m = INT64_MAX;
  for (size_t k = 0; k < u.bits.size(); ++k)
    if (u.admissible[k] && allowed[k]) m = std::min(m, u.bits[k]);
  return m;
}

// Upstream's "head trick" (_apply_head_trick): delta loss underrates lm_head, whose
// error goes straight into the logits, so its options are biased to >= 6 bits: none
// such -> the option with the least total score; one -> it; several -> all of them, or
// only the widest when the target is above 6 bits. Relaxed, in order of total score,
// while the restricted head plus the cheapest other units exceed the budget.
void apply_head_rule(const std::vector<schemes::Scheme>& opts, const std::vector<double>& option_loss, double target,
                     int64_t budget, const std::vector<Unit>& units, size_t head_unit, std::vector<bool>& allowed,
                     std::vector<std::string>& notes, const std::vector<std::string>& names) {
  const size_t K = opts.size();
  std::vector<size_t> by_loss(K);
  std::iota(by_loss.begin(), by_loss.end(), 0);
  std::stable_sort(by_loss.begin(), by_loss.end(), [&](size_t a, size_t b) { return option_loss[a] < option_loss[b]; });
  std::vector<size_t> high;
  for (size_t k = 0; k < K; ++k)
    if (opts[k].bits >= 6) high.push_back(k);
  allowed.assign(K, false);
  if (high.empty()) {
    allowed[by_loss.front()] = true;
  } else if (high.size() == 1 || target <= 6) {
    for (size_t k : high) allowed[k] = true;
  } else {
    size_t widest = high.front();
    for (size_t k : high)
      if (opts[k].bits > opts[widest].bits) widest = k;
    allowed[widest] = true;
  }
  const std::vector<bool> all(K, true);
  int64_t others = 0;
  for (size_t u = 0; u < units.size(); ++u)
    if (u != head_unit) others += min_admissible(units[u], all);
  const auto head_min = [&] { return min_admissible(units[head_unit], allowed); };
  for (size_t k : by_loss) {
    const int64_t h = head_min();
    if (h != INT64_MAX && h + others <= budget) break;
    allowed[k] = true;
  }
  std::string list;
  for (size_t k = 0; k < K; ++k)
    if (allowed[k]) list += (list.empty() ? "" : ", ") + names[k];
  notes.push_back("lm_head limited to " + list + " (upstream's head rule: prefer >= 6 bits, relaxed only to fit)");
}

}  // namespace

std::vector<double> Allocation::scores_of(const std::string& layer) const {
  auto it = table.scores.find(layer);
  if (it == table.scores.end()) return {};
  std::vector<double> row;
  for (const auto& o : options) {
    const auto col = std::find(table.options.begin(), table.options.end(), o);
    row.push_back(col == table.options.end() ? 0.0 : it->second[static_cast<size_t>(col - table.options.begin())]);
  }
  return row;
}

std::vector<std::string> free_layer_names(const Plan& plan) {
  std::vector<std::string> names;
  for (const auto& l : plan.layers)
    if (is_free(l)) names.push_back(l.layer.name);
  return names;
}

Allocation allocate(const dsl::Recipe& r, const Plan& plan, const SensitivityTable& table, size_t max_states) {
  if (!r.target) throw Error("allocate: the recipe has no target");
  const dsl::Target& t = *r.target;
  Allocation a;
  a.table = table;
  a.target = t.avg_bits.value;
  a.count_scale_bits = t.count_scale_bits.value;
  const size_t K = t.options.size();
  std::vector<schemes::Scheme> opts;
  std::vector<size_t> column;  // recipe option -> table column
  for (const auto& o : t.options) {
    a.options.push_back(o.value);
    opts.push_back(*schemes::find_preset(o.value));
    size_t c = 0;
    while (c < table.options.size() && schemes::canonical_preset_name(table.options[c]) != o.value) ++c;
    if (c == table.options.size()) {
      std::string have;
      for (const auto& x : table.options) have += (have.empty() ? "" : ", ") + x;
      dsl::fail_at(o.loc, "the sensitivity scores have no column for option " + o.value + " (they score: " + have + ")",
                   "probe again with these options");
    }
    column.push_back(c);
  }

  const size_t n = plan.layers.size();
  a.choice.assign(n, -1);
  a.unit.assign(n, -1);
  a.tied_to.assign(n, -1);

  // Decision units: tie groups in effect, plus every routed expert of a block (upstream
  // build_expert_groups), merged where they overlap (union-find, as upstream).
  UnionFind uf(n);
  for (const auto& g : tie_groups(r, plan))
    for (size_t i = 1; i < g.size(); ++i) uf.unite(g.front(), g[i]);
  std::map<int, size_t> first_expert;
  for (size_t i = 0; i < n; ++i) {
    const auto& l = plan.layers[i];
    if (!is_free(l) || !is_routed_expert(l.layer.role)) continue;
    auto [it, fresh] = first_expert.emplace(l.layer.block, i);
    if (!fresh) uf.unite(it->second, i);
  }
  std::map<size_t, std::vector<size_t>> members;
  for (size_t i = 0; i < n; ++i)
    if (!plan.layers[i].keep) members[uf.find(i)].push_back(i);

  std::vector<schemes::ExportFormat> formats;
  for (const auto& ex : r.exports) formats.push_back(*schemes::parse_export_format(ex.value));

  std::vector<Unit> units;
  for (size_t i = 0; i < n; ++i) {
    const auto& l = plan.layers[i];
    if (l.keep) continue;
    a.params += l.layer.out_features * l.layer.in_features;
    if (l.pinned) a.fixed_bits += cost_of(l.scheme, l.layer, a.count_scale_bits);
  }
  for (auto& [root, idx] : members) {
    std::vector<size_t> free_members;
    const LayerPlan* pinned = nullptr;
    size_t pinned_index = 0;
    for (size_t i : idx) {
      if (is_free(plan.layers[i])) free_members.push_back(i);
      else if (!pinned) pinned = &plan.layers[i], pinned_index = i;
    }
    if (free_members.empty()) continue;
    if (pinned) {
      // A rule pinned one member of a tie group: the others must follow it.
      for (size_t i : free_members) {
        a.tied_to[i] = static_cast<int>(pinned_index);
        a.fixed_bits += cost_of(pinned->scheme, plan.layers[i].layer, a.count_scale_bits);
      }
      continue;
    }
    Unit u;
    u.layers = free_members;
    u.bits.assign(K, 0);
    u.loss.assign(K, 0);
    u.admissible.assign(K, true);
    for (size_t i : free_members) {
      const auto& l = plan.layers[i];
      auto row = table.scores.find(l.layer.name);
      if (row == table.scores.end())
        throw Error("sensitivity scores: no scores for " + l.layer.name + " (a layer the target allocator chooses for)");
      if (row->second.size() != table.options.size())
        throw Error("sensitivity scores: " + l.layer.name + " has " + std::to_string(row->second.size()) +
                    " scores for " + std::to_string(table.options.size()) + " options");
      for (size_t k = 0; k < K; ++k) {
        u.bits[k] += cost_of(opts[k], l.layer, a.count_scale_bits);
        u.loss[k] += row->second[column[k]];
        for (const auto& f : formats)
          if (schemes::shape_problem(f, opts[k], l.layer.out_features, l.layer.in_features)) u.admissible[k] = false;
      }
    }
    if (std::none_of(u.admissible.begin(), u.admissible.end(), [](bool b) { return b; })) {
      const auto& l = plan.layers[free_members.front()].layer;
      dsl::fail_at(t.loc, "no target option fits " + l.name + " (" + std::to_string(l.out_features) + " x " +
                              std::to_string(l.in_features) + ") in every export format",
                   "add an option whose group size divides its in_features, or pin the layer with a rule");
    }
    units.push_back(std::move(u));
  }
  a.units = units.size();
  a.option_loss.assign(K, 0);
  for (const auto& u : units)
    for (size_t k = 0; k < K; ++k) a.option_loss[k] += u.loss[k];

  a.budget_bits = bit_ceiling(a.params, a.target) - a.fixed_bits;

  std::vector<std::vector<bool>> allowed(units.size(), std::vector<bool>(K, true));
  for (size_t u = 0; u < units.size(); ++u)
    if (units[u].layers.size() == 1 && plan.layers[units[u].layers[0]].layer.role == Role::lm_head)
      apply_head_rule(opts, a.option_loss, a.target, a.budget_bits, units, u, allowed[u], a.notes, a.options);

  std::vector<std::vector<KnapsackOption>> items(units.size());
  int64_t lo = a.fixed_bits, hi = a.fixed_bits;
  for (size_t u = 0; u < units.size(); ++u) {
    int64_t mn = INT64_MAX, mx = 0;
    for (size_t k = 0; k < K; ++k) {
      if (!units[u].admissible[k]) continue;
      mn = std::min(mn, units[u].bits[k]), mx = std::max(mx, units[u].bits[k]);
      if (allowed[u][k]) items[u].push_back({units[u].bits[k], units[u].loss[k], static_cast<int>(k)});
    }
    lo += mn, hi += mx;
  }
  // The floor: the fewest bits that keep the average within kTargetTolerance.
  const auto floor_total = static_cast<int64_t>(std::ceil(static_cast<double>(a.params) * (a.target - kTargetTolerance)));
  const KnapsackResult res = solve_knapsack(items, a.budget_bits, max_states, floor_total - a.fixed_bits);
  if (!res.feasible) {
    const double p = static_cast<double>(a.params);
    dsl::fail_at(t.avg_bits.loc,
                 "avg_bits " + fixed4(a.target) + " is out of reach: the allocator can reach " +
                     fixed4(static_cast<double>(lo) / p) + " to " + fixed4(static_cast<double>(hi) / p) +
                     " bits per weight over the quantized linears (" +
                     (a.count_scale_bits ? "scale/zero-point bits counted" : "weights only") +
                     ") with these options, the pinned layers and the group sizes each layer can take",
                 "raise avg_bits, add a cheaper option, or pin fewer layers");
  }
  a.used_bits = res.bits;
  a.loss = res.loss;
  a.exact = res.exact;
  a.resolution = res.resolution;
  a.peak_states = res.peak_states;
  if (res.windowed && res.reached_floor)
    a.notes.push_back("the least-score choice within budget left more than " + fixed4(kTargetTolerance) +
                      " bits per weight unused; the least-score choice within that distance of the target was taken");
  if (!res.reached_floor)
    a.notes.push_back("no choice lands within " + fixed4(kTargetTolerance) +
                      " bits per weight below the target (the layers are too coarse for it); the closest below was taken");
  if (!res.exact)
    a.notes.push_back("bit costs coarsened to multiples of " + std::to_string(res.resolution) +
                      " bits to bound the DP's memory; the result stays within the budget");
  for (size_t u = 0; u < units.size(); ++u)
    for (size_t i : units[u].layers) {
      a.choice[i] = res.choice[u];
      a.unit[i] = static_cast<int>(u);
    }
  return a;
}

void apply_allocation(const dsl::Recipe& r, Plan& plan, Allocation a) {
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    auto& l = plan.layers[i];
    if (a.choice[i] >= 0) {
      l.scheme = *schemes::find_preset(a.options[static_cast<size_t>(a.choice[i])]);
      for (size_t f = 0; f < kFieldCount; ++f)
        if (static_cast<Field>(f) != Field::keep) l.source[f] = kAllocator;
    } else if (a.tied_to[i] >= 0) {
      const auto& p = plan.layers[static_cast<size_t>(a.tied_to[i])];
      l.scheme = p.scheme;
      for (size_t f = 0; f < kFieldCount; ++f)
        if (static_cast<Field>(f) != Field::keep) l.source[f] = p.source[f];
    }
  }
  plan.allocation = std::move(a);
  check_allocated(r, plan);
  plan.summary = summarize(plan);
}

}  // namespace arecipe::autoscheme
