// Raw kernels for the element-wise tail of integer fake-quant on grouped weights
// (one group per row of t [R, g]). They know nothing about autograd; int_fq_op.cpp
// wraps them in a torch::autograd::Function.
//
// Per element, with a = scale_in[r], b = scale_out[r], z = zp[r] (asym only):
//   sym:  out = clamp(round(t/a + v), lo, hi) * b
//   asym: out = b * (clamp(round(t/a + v) + z, lo, hi) - z)
// a and b hold the same value; they are separate tensors because upstream's autograd
// rounds each of the scale's two gradient contributions (through the division and
// through the multiplication) to the scale dtype before adding them, and the caller
// reproduces that by passing two casts of the fp16 scale (see fake_quant.cpp).
#pragma once
#include <ATen/core/Tensor.h>

namespace arecipe::qdq::fused {

// The clamp range of the integer grid: sym [-2^(b-1), 2^(b-1)-1], asym [0, 2^b-1].
struct IntGrid {
  bool sym = true;
  float lo = -8.f;
  float hi = 7.f;
  // Round as upstream's round_ste, (round(x) - x) + x: the same value as round(x)
  // except +0 where round gives -0 (x in [-0.5, -0]). qdq_int uses it whenever x
  // requires grad, plain round otherwise; the sign of a zero code shows in the output.
  bool ste = true;
  // Whether a code exactly on lo or hi passes the gradient. auto-round's pinned torch
  // (2.x: clamp_backward keeps min < x < max) does not; LibTorch 1.13 does (<=).
  bool grad_at_bounds = false;
};
IntGrid int_grid(int bits, bool sym, bool ste = true, bool grad_at_bounds = false);

// All fp32 and contiguous: t, v [R, g] (v may be undefined = no offset, which is not
// the same as +0: upstream's RTN has no addition, and -0 + 0 = +0); scale_in,
// scale_out, zp [R] (zp undefined for sym).
struct IntFqInputs {
  at::Tensor t, v, scale_in, scale_out, zp;
};

// Gradients of the inputs; a field is computed only when its want_* flag is set.
// scale_in/scale_out/zp are per-group sums, each reduced in a fixed order that does not
// depend on the thread count.
struct IntFqGrads {
  at::Tensor t, v, scale_in, scale_out, zp;
};
struct IntFqWanted {
  bool t = false, v = false, scale_in = false, scale_out = false, zp = false;
};

at::Tensor int_fq_forward_cpu(const IntFqInputs& in, IntGrid grid);
IntFqGrads int_fq_backward_cpu(const at::Tensor& grad_out, const IntFqInputs& in, IntGrid grid,
                               IntFqWanted want);

// Test hook: run the portable scalar loops even where AVX2 exists. Both paths use the
// same 8-lane reduction order, so their results are bit-identical.
void force_scalar_cpu_kernels(bool on);

// Whether this build has the CUDA kernels (the LibTorch found had CUDA).
bool have_cuda_kernels();
#ifdef ARECIPE_HAVE_CUDA_KERNELS
at::Tensor int_fq_forward_cuda(const IntFqInputs& in, IntGrid grid);
IntFqGrads int_fq_backward_cuda(const at::Tensor& grad_out, const IntFqInputs& in, IntGrid grid,
                                IntFqWanted want);
#endif

}  // namespace arecipe::qdq::fused
