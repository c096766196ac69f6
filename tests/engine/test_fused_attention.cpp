// The tiled CPU attention against the eager composition it replaces (matmul, scale,
// additive mask, softmax, matmul, with grouped K/V heads repeated): outputs and the
// gradients of q, k and v, over the shapes the adapters produce.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <optional>

#include "engine/model/fused_attention.h"
#include "engine/model/fused_ops.h"
#include "engine/model/layers.h"

namespace arecipe {
namespace {

struct Case {
  int64_t B, Hq, Hkv, T, Dqk, Dv;
  std::optional<int64_t> window;
  double scale;
};

struct Result {
  at::Tensor out, dq, dk, dv;
};

// q/k/v are made as [B, T, H, D] and transposed, the layout the adapters hand over.
Result run(const Case& c, bool fused, uint64_t seed = 7, std::optional<at::Tensor> mask_override = std::nullopt) {
  set_fused_ops_enabled(fused);
  at::manual_seed(seed);
  at::Tensor q = at::randn({c.B, c.T, c.Hq, c.Dqk}).transpose(1, 2).detach().requires_grad_();
  at::Tensor k = at::randn({c.B, c.T, c.Hkv, c.Dqk}).transpose(1, 2).detach().requires_grad_();
  at::Tensor v = at::randn({c.B, c.T, c.Hkv, c.Dv}).transpose(1, 2).detach().requires_grad_();
  const at::Tensor go = at::randn({c.B, c.Hq, c.T, c.Dv});
  const at::Tensor mask = mask_override ? *mask_override : causal_mask(c.T, c.window);
  torch::autograd::AutoGradMode grad(true);
  at::Tensor out = grouped_attention(q, k, v, mask, c.scale);
  (out * go).sum().backward();
  set_fused_ops_enabled(true);
  return {out.detach(), q.grad(), k.grad(), v.grad()};
}

// Largest difference relative to the reference's largest value (at least 1: a single
// token's dq is zero, and the eager path leaves rounding noise there).
double rel_err(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1.0);
}

void expect_same(const Case& c, std::optional<at::Tensor> mask = std::nullopt) {
  ASSERT_TRUE(fused_attention_available());
  const Result f = run(c, true, 7, mask), e = run(c, false, 7, mask);
  EXPECT_LT(rel_err(f.out, e.out), 2e-6);
  EXPECT_LT(rel_err(f.dq, e.dq), 2e-5);
  EXPECT_LT(rel_err(f.dk, e.dk), 2e-5);
  EXPECT_LT(rel_err(f.dv, e.dv), 2e-5);
}

// The example model's attention: 8 query heads over 2 KV heads, head_dim 32.
TEST(FusedAttention, GroupedHeadsCausal) { expect_same({2, 8, 2, 256, 32, 32, std::nullopt, 1 / std::sqrt(32.0)}); }

// Rows not a multiple of the 64-row tile, and a single token.
TEST(FusedAttention, PartialTilesAndOneToken) {
  expect_same({3, 4, 4, 100, 16, 16, std::nullopt, 0.25});
  expect_same({1, 2, 1, 1, 8, 8, std::nullopt, 0.5});
}

// Mistral's sliding window: the spans start after column 0.
TEST(FusedAttention, SlidingWindow) { expect_same({2, 4, 2, 200, 16, 16, int64_t{17}, 0.25}); }

// DeepSeek's MLA: q/k head_dim (nope + rope) differs from v's, one KV head per query head.
TEST(FusedAttention, KeyAndValueWidthsDiffer) { expect_same({2, 4, 4, 130, 24, 16, std::nullopt, 0.2}); }

// -inf inside a row's span and finite non-zero mask values: only the mask's content decides.
TEST(FusedAttention, ArbitraryAdditiveMask) {
  const int64_t T = 70;
  at::Tensor mask = causal_mask(T, std::nullopt) + at::rand({T, T}).mul(-3);
  for (int64_t i = 5; i < T; i += 7) mask[i][i / 2] = -std::numeric_limits<float>::infinity();
  expect_same({2, 2, 1, T, 8, 8, std::nullopt, 0.3}, mask);
}

// Each (batch, head) item is one thread's work start to end.
TEST(FusedAttention, ResultDoesNotDependOnThreadCount) {
  const Case c{2, 8, 2, 256, 32, 32, std::nullopt, 1 / std::sqrt(32.0)};
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  const Result one = run(c, true);
  at::set_num_threads(2);
  const Result two = run(c, true);
  at::set_num_threads(before);
  EXPECT_TRUE(at::equal(one.out, two.out));
  EXPECT_TRUE(at::equal(one.dq, two.dq));
  EXPECT_TRUE(at::equal(one.dk, two.dk));
  EXPECT_TRUE(at::equal(one.dv, two.dv));
}

// Out of scope, left to the eager path: a fully masked row (eager gives NaN), float64.
TEST(FusedAttention, DeclinesWhatItDoesNotCover) {
  const at::Tensor q = at::randn({1, 2, 4, 8}), k = at::randn({1, 2, 4, 8});
  at::Tensor mask = causal_mask(4, std::nullopt);
  EXPECT_TRUE(fused_attention(q, k, k, mask, 1.0).has_value());
  mask[2].fill_(-std::numeric_limits<float>::infinity());
  EXPECT_FALSE(fused_attention(q, k, k, mask, 1.0).has_value());
  EXPECT_FALSE(fused_attention(q.to(at::kDouble), k.to(at::kDouble), k.to(at::kDouble), causal_mask(4, std::nullopt),
                               1.0)
                   .has_value());
}

}  // namespace
}  // namespace arecipe
