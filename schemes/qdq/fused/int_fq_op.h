// Differentiable fused int fake-quant on grouped weights: one forward pass and one
// backward pass over the R*g elements instead of the ~8 ATen ops (each reading and
// writing the whole weight) that the reference chain runs, and as many again in
// its backward.
#pragma once
#include <ATen/core/Tensor.h>

namespace arecipe::qdq::fused {

// t [R, g] fp32; v [R, g] fp32 or undefined (no offset); scale_in, scale_out [R] or
// [R, 1] fp32 (the divisor and the multiplier, same values; see int_fq_kernels.h);
// zp [R] or [R, 1] fp32, integer-valued, for asym, undefined for sym.
// Returns fp32 [R, g], bit-identical to
//   sym:  clamp(round_ste(t/scale_in + v), -2^(b-1), 2^(b-1)-1) * scale_out
//   asym: scale_out * (clamp(round_ste(t/scale_in + v) + zp, 0, 2^b-1) - zp)
// with the gradients autograd computes for that chain (per-group sums may differ in
// summation order). ste, grad_at_bounds: see IntGrid. CPU tensors run the AVX2/scalar kernels, CUDA tensors the CUDA
// kernels when this build has them (throws otherwise: check supports_device first).
at::Tensor int_fake_quant_grouped(const at::Tensor& t, const at::Tensor& v, const at::Tensor& scale_in,
                                  const at::Tensor& scale_out, const at::Tensor& zp, int bits, bool sym,
                                  bool ste = true, bool grad_at_bounds = false);

// The clamp gradient rule of the LibTorch this binary runs with: true when a value
// exactly on a bound gets the gradient (1.13), false when only values strictly inside
// do (2.x, and so auto-round's pinned torch). Probed once.
bool linked_torch_clamp_grad_at_bounds();

// Whether int_fake_quant_grouped has kernels for tensors on this device.
bool supports_device(const at::Tensor& t);

}  // namespace arecipe::qdq::fused
