// The multiple-choice knapsack under the allocator: exact against brute force, within
// budget always, and its Pareto front bounded.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "autoscheme/knapsack.h"

using namespace arecipe::autoscheme;

namespace {

using Units = std::vector<std::vector<KnapsackOption>>;

// Every combination: the least loss within budget (infinity when none fits).
double brute_force(const Units& units, int64_t budget) {
  double best = std::numeric_limits<double>::infinity();
  std::vector<size_t> idx(units.size(), 0);
  while (true) {
    int64_t bits = 0;
    double loss = 0;
    for (size_t u = 0; u < units.size(); ++u) bits += units[u][idx[u]].bits, loss += units[u][idx[u]].loss;
    if (bits <= budget) best = std::min(best, loss);
    size_t u = 0;
    while (u < units.size() && ++idx[u] == units[u].size()) idx[u++] = 0;
    if (u == units.size()) return best;
  }
}

// Brute force of the floor-seeking objective: least loss within [floor, budget], else
// the costliest within budget (least loss among equals). {loss, bits}.
std::pair<double, int64_t> brute_force_floor(const Units& units, int64_t budget, int64_t floor) {
  double best_in = std::numeric_limits<double>::infinity(), best_top = best_in;
  int64_t in_bits = -1, top_bits = -1;
  std::vector<size_t> idx(units.size(), 0);
  while (true) {
    int64_t bits = 0;
    double loss = 0;
    for (size_t u = 0; u < units.size(); ++u) bits += units[u][idx[u]].bits, loss += units[u][idx[u]].loss;
    if (bits <= budget) {
      if (bits >= floor && loss < best_in) best_in = loss, in_bits = bits;
      if (bits > top_bits || (bits == top_bits && loss < best_top)) top_bits = bits, best_top = loss;
    }
    size_t u = 0;
    while (u < units.size() && ++idx[u] == units[u].size()) idx[u++] = 0;
    if (u == units.size()) break;
  }
  if (in_bits >= 0) return {best_in, in_bits};
  return {best_top, top_bits};
}

// Recomputes what a returned choice costs and scores from the instance itself.
std::pair<int64_t, double> evaluate(const Units& units, const std::vector<int>& choice) {
  int64_t bits = 0;
  double loss = 0;
  for (size_t u = 0; u < units.size(); ++u)
    for (const auto& o : units[u])
      if (o.id == choice[u]) bits += o.bits, loss += o.loss;
  return {bits, loss};
}

}  // namespace

TEST(Knapsack, MatchesBruteForceOnRandomInstances) {
  std::mt19937_64 rng(12345);
  int feasible = 0, infeasible = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const size_t n = 1 + rng() % 7, k = 1 + rng() % 4;
    Units units(n);
    int64_t lo = 0, hi = 0;
    for (auto& u : units) {
      int64_t mn = INT64_MAX, mx = 0;
      for (size_t j = 0; j < k; ++j) {
        const int64_t bits = static_cast<int64_t>(rng() % 60);
        u.push_back({bits, static_cast<double>(rng() % 1000) / 7.0, static_cast<int>(j)});
        mn = std::min(mn, bits), mx = std::max(mx, bits);
      }
      lo += mn, hi += mx;
    }
    const int64_t budget = lo - 3 + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 6));
    const double expected = brute_force(units, budget);
    const KnapsackResult r = solve_knapsack(units, budget);
    ASSERT_EQ(r.feasible, std::isfinite(expected)) << "trial " << trial;
    if (!r.feasible) {
      ++infeasible;
      continue;
    }
    ++feasible;
    EXPECT_TRUE(r.exact);
    EXPECT_NEAR(r.loss, expected, 1e-9 * std::max(1.0, expected)) << "trial " << trial;
    const auto [bits, loss] = evaluate(units, r.choice);
    EXPECT_EQ(bits, r.bits);
    EXPECT_LE(bits, budget);
    EXPECT_NEAR(loss, r.loss, 1e-9 * std::max(1.0, loss));
  }
  EXPECT_GT(feasible, 300);  // the sweep exercised both outcomes
  EXPECT_GT(infeasible, 5);
}

TEST(Knapsack, FloorSeekingMatchesBruteForce) {
  std::mt19937_64 rng(99);
  int windowed = 0, missed = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const size_t n = 1 + rng() % 6, k = 1 + rng() % 4;
    Units units(n);
    int64_t lo = 0, hi = 0;
    for (auto& u : units) {
      int64_t mn = INT64_MAX, mx = 0;
      for (size_t j = 0; j < k; ++j) {
        const int64_t bits = static_cast<int64_t>(rng() % 40);
        u.push_back({bits, static_cast<double>(rng() % 1000) / 3.0, static_cast<int>(j)});
        mn = std::min(mn, bits), mx = std::max(mx, bits);
      }
      lo += mn, hi += mx;
    }
    const int64_t budget = lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
    const int64_t floor = budget - static_cast<int64_t>(rng() % 8);
    const auto [loss, bits] = brute_force_floor(units, budget, floor);
    const KnapsackResult r = solve_knapsack(units, budget, kDefaultMaxStates, floor);
    ASSERT_TRUE(r.feasible);
    EXPECT_NEAR(r.loss, loss, 1e-9 * std::max(1.0, loss)) << "trial " << trial;
    EXPECT_EQ(r.reached_floor, bits >= floor) << "trial " << trial;
    if (!r.reached_floor) EXPECT_EQ(r.bits, bits) << "trial " << trial;  // the costliest
    EXPECT_LE(r.bits, budget);
    EXPECT_EQ(evaluate(units, r.choice).first, r.bits);
    windowed += r.windowed;
    missed += !r.reached_floor;
  }
  EXPECT_GT(windowed, 20);  // both paths exercised
  EXPECT_GT(missed, 5);
}

TEST(Knapsack, ParetoPruningDropsStatesThatBuyNothing) {
  // More bits never lowers the loss here: only the all-cheapest state is worth keeping.
  Units units(50, {{10, 1.0, 0}, {20, 2.0, 1}, {40, 3.0, 2}});
  const KnapsackResult r = solve_knapsack(units, 50 * 40);
  ASSERT_TRUE(r.feasible);
  EXPECT_EQ(r.peak_states, 1u);
  EXPECT_EQ(r.bits, 500);
  EXPECT_DOUBLE_EQ(r.loss, 50.0);
}

TEST(Knapsack, FrontIsBoundedByDistinctTotals) {
  // Commensurate costs (as layers of repeated shapes give): residual totals are
  // multiples of the gcd 3, so at most budget/3 + 1 states, however many units.
  Units units(200, {{30, 9.0, 0}, {33, 4.0, 1}, {36, 1.0, 2}});
  const int64_t budget = 200 * 33;
  const KnapsackResult r = solve_knapsack(units, budget);
  ASSERT_TRUE(r.feasible);
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.resolution, 3);
  EXPECT_LE(r.peak_states, static_cast<size_t>((budget - 200 * 30) / 3 + 1));
  EXPECT_LE(r.bits, budget);
  // Option 1 everywhere (800) beats spending the same bits half on option 0, half on 2 (1000).
  EXPECT_DOUBLE_EQ(r.loss, 200 * 4.0);
}

TEST(Knapsack, CoarsenedWhenStatesWouldExceedTheCapAndStillWithinBudget) {
  // Incommensurate costs: without a cap the front could hold one state per bit.
  std::mt19937_64 rng(7);
  Units units(20);
  int64_t lo = 0, hi = 0;
  for (auto& u : units) {
    const int64_t base = 10000 + static_cast<int64_t>(rng() % 10007);
    u = {{base, 1.0 + static_cast<double>(rng() % 100), 0},
         {2 * base + static_cast<int64_t>(rng() % 997), 0.5 + static_cast<double>(rng() % 50) / 100.0, 1},
         {4 * base + static_cast<int64_t>(rng() % 991), static_cast<double>(rng() % 50) / 1000.0, 2}};
    lo += u[0].bits, hi += u[2].bits;
  }
  const int64_t budget = lo + (hi - lo) / 3;
  const KnapsackResult coarse = solve_knapsack(units, budget, 256);
  ASSERT_TRUE(coarse.feasible);
  EXPECT_FALSE(coarse.exact);
  EXPECT_GT(coarse.resolution, 1);
  EXPECT_LE(coarse.peak_states, 256u);
  EXPECT_LE(coarse.bits, budget);        // never above the budget
  EXPECT_EQ(evaluate(units, coarse.choice).first, coarse.bits);
  const KnapsackResult fine = solve_knapsack(units, budget);
  ASSERT_TRUE(fine.feasible);
  EXPECT_TRUE(fine.exact);
  EXPECT_LE(fine.loss, coarse.loss + 1e-9);
  EXPECT_LE(fine.bits, budget);
  // What coarsening can cost is bounded: every selection within budget - n * q still
  // fits the coarse budget, so the coarse answer is at least as good as the exact
  // optimum of that smaller budget.
  const KnapsackResult bound = solve_knapsack(units, budget - static_cast<int64_t>(units.size()) * coarse.resolution);
  ASSERT_TRUE(bound.feasible);
  EXPECT_LE(coarse.loss, bound.loss + 1e-9);
}

TEST(Knapsack, BudgetExactlyAtTheCheapestChoiceIsFeasible) {
  Units units(5, {{7, 2.0, 0}, {11, 1.0, 1}});
  const KnapsackResult r = solve_knapsack(units, 35, 2);
  ASSERT_TRUE(r.feasible);
  EXPECT_EQ(r.bits, 35);
  EXPECT_FALSE(solve_knapsack(units, 34).feasible);
}
