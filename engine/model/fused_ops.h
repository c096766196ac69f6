// Layer ops fused into single CPU kernels with their own backward, for the tuning loop.
//
// The eager compositions (HF's op order, kept in layers.cpp as the reference and the
// fallback) run each small op as a separate pass over a fresh tensor, and autograd saves
// every intermediate; at the example model's width an RMSNorm is 8 such passes forward
// and more backward. These kernels read their inputs once forward and once backward.
//
// Scope: float32 CPU tensors. Anything else returns nullopt and the caller runs the eager
// path. Work is split by rows (RMSNorm, RoPE) or by 64-element blocks (SwiGLU), each handled
// start to end by one thread, so results do not depend on the thread count.
// Attention has its own file (fused_attention.h) and the same switch.
#pragma once

#include <ATen/core/Tensor.h>

#include <optional>

namespace arecipe {

// HF LlamaRMSNorm: weight * (x * rsqrt(mean(x^2, -1) + eps)), differentiable in x and weight.
std::optional<at::Tensor> fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Rotate-half RoPE, x * cos + rotate_half(x) * sin, for x [B, H, T, D] and tables
// [T, D]; the output has x's memory layout. Differentiable in x.
std::optional<at::Tensor> fused_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// silu(gate) * up (the gated MLP's activation), differentiable in both.
std::optional<at::Tensor> fused_swiglu(const at::Tensor& gate, const at::Tensor& up);

// Off: every fused_* op returns nullopt (tests and bench compare with the eager path).
bool fused_ops_enabled();
void set_fused_ops_enabled(bool on);

}  // namespace arecipe
