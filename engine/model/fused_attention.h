// Softmax attention as one CPU op with its own backward, for the tuning loop.
//
// The eager composition (matmul, scale, mask, softmax, matmul, with K/V repeated for
// grouped heads) materialises [B, H, T, T] scores several times per step and runs the
// batched T x T x D products at a third of GEMM speed; at head_dim 32 it was half of a
// SignRound iteration on the example model. This op works on tiles of query rows that
// stay in cache, skips key columns the mask rules out for the whole tile (the upper
// triangle of a causal mask), reads grouped K/V heads in place, keeps only the
// per-row log-sum-exp for backward and recomputes the probabilities there (as
// FlashAttention does), so its memory is O(B H T) instead of O(B H T^2).
//
// Scope: float32 CPU tensors with a unit-stride last dimension and an additive [T, T]
// mask in which every row has a finite entry. Anything else returns nullopt and the
// caller runs the eager path. Each (batch, head) item is computed start to end by one
// thread, so results do not depend on the thread count.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>

namespace arecipe {

// softmax(q k^T * scale + mask) v. q [B, Hq, T, Dqk], k [B, Hkv, T, Dqk],
// v [B, Hkv, T, Dv] with Hq a multiple of Hkv; returns [B, Hq, T, Dv], differentiable
// in q, k and v.
std::optional<at::Tensor> fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                          const at::Tensor& mask, double scale);

// False in a build without oneDNN, where attention is always eager. The switch that
// turns it off for comparisons is set_fused_ops_enabled (fused_ops.h).
bool fused_attention_available();

}  // namespace arecipe
