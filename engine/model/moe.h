// Mixture-of-experts routing and expert combination, as transformers' eager MoE code
// does it, shared by the Qwen3-MoE and DeepSeek-V3 adapters. The expert function is
// the caller's, so each expert's linears go through Architecture::project (the tuner
// substitutes fake-quantized weights; observers see only the tokens routed to that
// expert, which is what upstream's calibration sees too).
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>

namespace arecipe {

struct Routing {
  at::Tensor weights;  // [N, k] float, the gate of each chosen expert
  at::Tensor experts;  // [N, k] int64 expert indices
};

// Qwen3-MoE (Qwen3MoeTopKRouter): softmax over all experts in fp32, top-k, optionally
// renormalised to sum 1 (norm_topk_prob); weights in the logits' dtype.
Routing softmax_topk_routing(const at::Tensor& logits, int64_t top_k, bool norm_topk_prob);

struct GroupedTopK {
  int64_t top_k = 8;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  bool norm_topk_prob = true;
  double routed_scaling_factor = 1.0;
};
// DeepSeek-V3 (noaux_tc, DeepseekV3TopkRouter): sigmoid scores; choice scores add the
// correction bias; the topk_group groups with the largest sum of their two best
// choice scores stay eligible; top-k among them; gates are the plain sigmoid scores
// (normalised when norm_topk_prob, + 1e-20) times routed_scaling_factor.
// logits: fp32 [N, E].
Routing grouped_sigmoid_routing(const at::Tensor& logits, const at::Tensor& correction_bias, const GroupedTopK& p);

// The tokens routed to expert e and their gates, in combine_experts' order (by top-k
// slot, then token: torch.where on the transposed mask).
struct ExpertTokens {
  at::Tensor token;  // [M] int64 rows of x
  at::Tensor gate;   // [M, 1] the gate of each
};
ExpertTokens expert_tokens(const Routing& routing, int64_t e);
// Tokens routed to each expert: [num_experts] int64 on the CPU.
at::Tensor expert_token_counts(const Routing& routing, int64_t num_experts);

// Σ over chosen experts of gate · expert(x of the tokens routed to it). x: [N, H].
// Experts run in ascending order over only their tokens (DeepseekV3Experts /
// Qwen3MoeExperts); experts without tokens are not called.
using ExpertForward = std::function<at::Tensor(int64_t expert, const at::Tensor& x)>;
at::Tensor combine_experts(const at::Tensor& x, const Routing& routing, int64_t num_experts,
                           const ExpertForward& expert);

}  // namespace arecipe
