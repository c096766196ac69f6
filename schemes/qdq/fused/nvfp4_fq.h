// Fused NVFP4 fake-quant element chain (spec 5.2; schemes/qdq/nv_fp.cpp), per group r
// of x [R, g] with os = output_scale[r] (fp32 block scale / global scale, inverted)
// and inv = 1/os (0 where os is 0):
//   c = clamp(x*os + v, -6, 6);  out = clamp(fp4(|c|), -6, 6) * sign(c) * inv
// fp4(a) = round(2a)/2 below 2, round(a) below 4, 2*round(a/2) above (half to even).
// Bit-identical forward to the ATen chain; gradients as autograd computes them for it
// (per-group sums up to summation order). CPU only.
#pragma once
#include <ATen/core/Tensor.h>

namespace arecipe::qdq::fused {

// x fp32 [R, g]; v fp32 [R, g] or undefined; output_scale, inv_output_scale fp32 [R]
// or [R, 1]. grad_at_bounds: see IntGrid (false = auto-round's torch 2.x clamp).
at::Tensor nvfp4_fake_quant_grouped(const at::Tensor& x, const at::Tensor& v, const at::Tensor& output_scale,
                                    const at::Tensor& inv_output_scale, bool grad_at_bounds = false);

}  // namespace arecipe::qdq::fused
