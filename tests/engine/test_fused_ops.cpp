// The fused RMSNorm, RoPE and SwiGLU kernels against the eager compositions they replace
// (layers.cpp's HF-order code, run with the fused ops switched off): outputs and
// gradients, the AVX2 body and the scalar tails, and independence from the thread count.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <functional>
#include <vector>

#include "engine/model/fused_ops.h"
#include "engine/model/layers.h"

namespace arecipe {
namespace {

using Op = std::function<at::Tensor(const std::vector<at::Tensor>&)>;

// The op's output and the gradients of all inputs for a random output gradient.
std::vector<at::Tensor> run(const Op& op, const std::vector<at::Tensor>& inputs, bool fused) {
  set_fused_ops_enabled(fused);
  std::vector<at::Tensor> leaves;
  for (const auto& x : inputs) leaves.push_back(x.detach().clone().requires_grad_());
  torch::autograd::AutoGradMode grad(true);
  const at::Tensor out = op(leaves);
  at::manual_seed(11);
  (out * at::randn_like(out)).sum().backward();
  set_fused_ops_enabled(true);
  std::vector<at::Tensor> r{out.detach()};
  for (const auto& l : leaves) r.push_back(l.grad());
  return r;
}

void expect_matches_eager(const Op& op, const std::vector<at::Tensor>& inputs) {
  const auto f = run(op, inputs, true), e = run(op, inputs, false);
  for (size_t i = 0; i < f.size(); ++i) {
    const double scale = std::max(e[i].abs().max().item<double>(), 1.0);
    EXPECT_LT((f[i] - e[i]).abs().max().item<double>() / scale, i == 0 ? 2e-6 : 1e-5) << "tensor " << i;
  }
}

const Op kRmsNorm = [](const std::vector<at::Tensor>& t) { return rms_norm(t[0], t[1], 1e-6); };
// q as the adapters hand it over: [B, T, H, D] memory seen as [B, H, T, D].
Op rope_op(int64_t T, int64_t D) {
  RopeConfig rc;
  rc.type = "yarn";  // tables scaled by yarn's attention factor, as DeepSeek's are
  rc.factor = 4;
  rc.original_max_position_embeddings = 16;
  const RopeTables tables = rope_tables(rc, D, T);
  return [tables](const std::vector<at::Tensor>& t) { return apply_rope(t[0].transpose(1, 2), tables); };
}

const Op kSwiglu = [](const std::vector<at::Tensor>& t) { return swiglu(t[0], t[1]); };

TEST(FusedOps, RmsNormMatchesEager) {
  at::manual_seed(1);
  for (int64_t n : {256, 32, 37, 5}) {  // hidden, Qwen3's per-head norm, vector body + tail, tail only
    SCOPED_TRACE(n);
    expect_matches_eager(kRmsNorm, {at::randn({4, 33, n}) * 3, at::randn({n})});
  }
}

TEST(FusedOps, RopeMatchesEager) {
  at::manual_seed(4);
  for (int64_t D : {32, 20, 12}) {  // halves of 16 (vectors), 10 (vector + tail), 6 (tail)
    SCOPED_TRACE(D);
    expect_matches_eager(rope_op(50, D), {at::randn({2, 50, 3, D})});
  }
}

// Real tables repeat their halves (cat(freqs, freqs)); random ones check that each half
// of the row takes its own cos/sin entries, forward and backward.
TEST(FusedOps, RopeUsesEachHalfsTableEntries) {
  at::manual_seed(5);
  const int64_t T = 9, D = 20, h = D / 2;
  const at::Tensor cos = at::randn({T, D}), sin = at::randn({T, D});
  const Op fused = [&](const std::vector<at::Tensor>& t) { return *fused_rope(t[0], cos, sin); };
  const Op eager = [&](const std::vector<at::Tensor>& t) {
    const at::Tensor& x = t[0];
    return x * cos + at::cat({-x.narrow(-1, h, h), x.narrow(-1, 0, h)}, -1) * sin;
  };
  const std::vector<at::Tensor> in{at::randn({2, 3, T, D})};
  const auto f = run(fused, in, true), e = run(eager, in, true);
  for (size_t i = 0; i < f.size(); ++i) EXPECT_LT((f[i] - e[i]).abs().max().item<double>(), 1e-5) << "tensor " << i;
}

TEST(FusedOps, RopeKeepsTheInputsLayout) {
  const at::Tensor x = at::randn({2, 16, 4, 32});
  const at::Tensor y = rope_op(16, 32)({x});
  EXPECT_EQ(y.strides(), x.transpose(1, 2).strides());
}

TEST(FusedOps, SwigluMatchesEager) {
  at::manual_seed(2);
  // Large |gate| reaches exp's saturation on both sides; 1000 elements end in a tail.
  for (int64_t n : {768 * 16, 1000}) {
    SCOPED_TRACE(n);
    at::Tensor g = at::randn({n}) * 4;
    g[0] = -100.f, g[1] = 100.f, g[2] = 0.f;
    expect_matches_eager(kSwiglu, {g, at::randn({n})});
  }
}

TEST(FusedOps, ResultDoesNotDependOnThreadCount) {
  at::manual_seed(3);
  const std::vector<at::Tensor> norm_in{at::randn({512, 256}), at::randn({256})};
  const std::vector<at::Tensor> glu_in{at::randn({512, 770}), at::randn({512, 770})};
  const std::vector<at::Tensor> rope_in{at::randn({4, 256, 8, 32})};
  const int before = at::get_num_threads();
  for (const auto& [op, in] :
       {std::pair{kRmsNorm, norm_in}, std::pair{kSwiglu, glu_in}, std::pair{rope_op(256, 32), rope_in}}) {
    at::set_num_threads(1);
    const auto one = run(op, in, true);
    at::set_num_threads(2);
    const auto two = run(op, in, true);
    for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(at::equal(one[i], two[i])) << "tensor " << i;
  }
  at::set_num_threads(before);
}

TEST(FusedOps, DeclinesWhatItDoesNotCover) {
  const at::Tensor x = at::randn({3, 8});
  EXPECT_TRUE(fused_rms_norm(x, at::ones({8}), 1e-6).has_value());
  EXPECT_FALSE(fused_rms_norm(x.to(at::kDouble), at::ones({8}, at::kDouble), 1e-6).has_value());
  EXPECT_FALSE(fused_rms_norm(x, at::ones({4}), 1e-6).has_value());
  EXPECT_FALSE(fused_swiglu(x, at::randn({8, 3})).has_value());
  set_fused_ops_enabled(false);
  EXPECT_FALSE(fused_swiglu(x, x).has_value());
  set_fused_ops_enabled(true);
}

}  // namespace
}  // namespace arecipe
