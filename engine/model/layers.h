// Functional building blocks of decoder-only transformers, written to match HF
// transformers' eager implementations (same op order, fp32 softmax/norm). On CPU float32
// RMSNorm, RoPE, the MLP activation and attention run as fused kernels (fused_ops.h,
// fused_attention.h) and the eager code here is the fallback. They take
// weights as arguments, so the tuner can hand in fake-quantized weights with autograd.
#pragma once
#include <ATen/core/Tensor.h>

#include <optional>

#include "engine/model/hf_config.h"

namespace arecipe {

// HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) in fp32, then weight * x.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// HF's gated MLP activation act_fn(gate) * up with act_fn = SiLU.
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);

// x @ w^T (+ b). `bias` may be undefined.
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias);

struct RopeTables {
  at::Tensor cos;  // [T, head_dim]
  at::Tensor sin;
};
// Rotary tables for positions 0..seq_len-1, with `default`, `linear`, `llama3` and
// `yarn` frequency scaling as in HF's rope initialisation functions; cos/sin carry
// the rope type's attention factor (yarn's mscale ratio, 1 otherwise) as HF's do.
RopeTables rope_tables(const RopeConfig& rope, int64_t head_dim, int64_t seq_len);
at::Tensor rope_inv_freq(const RopeConfig& rope, int64_t head_dim);
// The factor HF multiplies cos and sin by (1 except for yarn).
double rope_attention_factor(const RopeConfig& rope);
// yarn's get_mscale: 0.1 * mscale * ln(scale) + 1 for scale > 1, else 1.
double yarn_mscale(double scale, double mscale);

// x: [B, H, T, D]; rotate-half convention.
at::Tensor apply_rope(const at::Tensor& x, const RopeTables& t);
// x: [B, H, T, D] with rotary pairs interleaved (x0, x1), (x2, x3), ... (DeepSeek's
// layout); the output holds the rotated even then odd components, as transformers'
// apply_rotary_pos_emb_interleave.
at::Tensor apply_rope_interleaved(const at::Tensor& x, const RopeTables& t);

// Additive mask [T, T]: 0 where query i may attend key j (j <= i and, with a
// sliding window w, i - j < w), -inf elsewhere.
at::Tensor causal_mask(int64_t seq_len, std::optional<int64_t> sliding_window);

// Attention with grouped KV heads (fused_attention.h on CPU float32, else eager).
// q/k: [B, Hq|Hkv, T, D], v: [B, Hkv, T, Dv].
// Scores are scaled by `scale`, 1/sqrt(D) when absent.
at::Tensor grouped_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const at::Tensor& mask, std::optional<double> scale = std::nullopt);


}  // namespace arecipe
