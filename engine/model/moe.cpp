#include "engine/model/moe.h"

#include <ATen/ATen.h>

#include <limits>

namespace arecipe {

Routing softmax_topk_routing(const at::Tensor& logits, int64_t top_k, bool norm_topk_prob) {
  at::Tensor probs = at::softmax(logits, -1, at::kFloat);
  auto [values, indices] = at::topk(probs, top_k, -1);
  if (norm_topk_prob) values = values / values.sum(-1, /*keepdim=*/true);
  return {values.to(logits.scalar_type()), indices};
}

Routing grouped_sigmoid_routing(const at::Tensor& logits, const at::Tensor& correction_bias, const GroupedTopK& p) {
  const int64_t n = logits.size(0), experts = logits.size(1), per_group = experts / p.n_group;
  at::Tensor scores = logits.sigmoid();
  at::Tensor choice = scores + correction_bias;
  at::Tensor group_scores = std::get<0>(choice.view({n, p.n_group, per_group}).topk(2, -1)).sum(-1);
  at::Tensor group_idx = std::get<1>(at::topk(group_scores, p.topk_group, -1, /*largest=*/true, /*sorted=*/false));
  at::Tensor group_mask = at::zeros_like(group_scores).scatter_(1, group_idx, 1);
  at::Tensor score_mask = group_mask.unsqueeze(-1).expand({n, p.n_group, per_group}).reshape({n, experts});
  choice = choice.masked_fill(score_mask.logical_not(), -std::numeric_limits<float>::infinity());
  at::Tensor idx = std::get<1>(at::topk(choice, p.top_k, -1, /*largest=*/true, /*sorted=*/false));
  at::Tensor weights = scores.gather(1, idx);
  if (p.norm_topk_prob) weights = weights / (weights.sum(-1, /*keepdim=*/true) + 1e-20);
  return {weights * p.routed_scaling_factor, idx};
}

ExpertTokens expert_tokens(const Routing& routing, int64_t e) {
  // [k, N] so positions come out ordered by top-k slot, then token (torch.where order).
  const at::Tensor hit = routing.experts.eq(e).t().nonzero();  // [M, 2]: (slot, token)
  const at::Tensor slot = hit.select(1, 0), token = hit.select(1, 1);
  return {token, routing.weights.index({token, slot}).unsqueeze(-1)};
}

at::Tensor expert_token_counts(const Routing& routing, int64_t num_experts) {
  return at::bincount(routing.experts.reshape({-1}), {}, num_experts).to(at::kCPU).contiguous();
}

at::Tensor combine_experts(const at::Tensor& x, const Routing& routing, int64_t num_experts,
                           const ExpertForward& expert) {
  at::Tensor out = at::zeros_like(x);
  // Which experts got tokens: one pass over the indices instead of one per expert.
  const at::Tensor counts = expert_token_counts(routing, num_experts);
  const int64_t* c = counts.data_ptr<int64_t>();
  for (int64_t e = 0; e < num_experts; ++e) {
    if (c[e] == 0) continue;
    const ExpertTokens t = expert_tokens(routing, e);
    at::Tensor y = expert(e, x.index_select(0, t.token));
    out.index_add_(0, t.token, (y * t.gate).to(out.scalar_type()));
  }
  return out;
}

}  // namespace arecipe
