// Functional building blocks of decoder-only transformers, written to match HF
// transformers' eager implementations (same op order, fp32 softmax/norm). They take
// weights as arguments, so the tuner can hand in fake-quantized weights with autograd.
#pragma once
#include <ATen/core/Tensor.h>

#include <optional>

#include "engine/model/hf_config.h"

namespace arecipe {

// HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) in fp32, then weight * x.
at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// x @ w^T (+ b). `bias` may be undefined.
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias);

struct RopeTables {
  at::Tensor cos;  // [T, head_dim]
  at::Tensor sin;
};
// Rotary tables for positions 0..seq_len-1, with `default`, `linear` and `llama3`
// frequency scaling as in HF's rope initialisation functions.
RopeTables rope_tables(const RopeConfig& rope, int64_t head_dim, int64_t seq_len);
at::Tensor rope_inv_freq(const RopeConfig& rope, int64_t head_dim);

// x: [B, H, T, D]; rotate-half convention.
at::Tensor apply_rope(const at::Tensor& x, const RopeTables& t);

// Additive mask [T, T]: 0 where query i may attend key j (j <= i and, with a
// sliding window w, i - j < w), -inf elsewhere.
at::Tensor causal_mask(int64_t seq_len, std::optional<int64_t> sliding_window);

// Eager attention with grouped KV heads. q: [B, Hq, T, D], k/v: [B, Hkv, T, D].
at::Tensor grouped_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const at::Tensor& mask);


}  // namespace arecipe
