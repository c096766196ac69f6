#include "schemes/qdq/fused/fake_quant.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <stdexcept>
#include <string>

#include "schemes/qdq/float8.h"
#include "schemes/qdq/fused/int_fq_op.h"
#include "schemes/qdq/fused/nvfp4_fq.h"
#include "schemes/qdq/nv_fp.h"
#include "schemes/qdq/group_reshape.h"

namespace arecipe::qdq {
namespace {

// The kernels compute in fp32; the reference chain does too exactly when t/scale
// promotes to fp32 and the other per-element operands are fp32.
bool fused_applies(const at::Tensor& t, const at::Tensor& scale, const at::Tensor& zp, const IntTuning& tuning) {
  if (!fused::supports_device(t)) return false;
  if (at::result_type(t, scale) != at::kFloat) return false;
  if (tuning.v.defined() && (tuning.v.scalar_type() != at::kFloat || !tuning.v.sizes().equals(t.sizes())))
    return false;
  return !zp.defined() || zp.scalar_type() == at::kFloat;
}

// nvfp.py get_reciprocal: 1/x, 0 where x == 0 (as nv_fp.cpp).
at::Tensor reciprocal_or_zero(const at::Tensor& x) { return at::where(x == 0, at::zeros_like(x), at::reciprocal(x)); }

}  // namespace

at::Tensor fake_quant_int(const at::Tensor& w, const IntSpec& spec, const IntTuning& tuning, FakeQuantImpl impl,
                          ClampGradRule rule) {
  if (impl == FakeQuantImpl::Reference) return qdq_int(w, spec, tuning).qdq;
  if (spec.bits < 2 || spec.bits > 8)
    throw std::invalid_argument("fake_quant_int: bits must be in 2..8, got " + std::to_string(spec.bits));
  const Grouped g = group_rows(w, spec.group_size);
  auto [scale, zp] = int_scale_zp(g.data, spec, tuning);
  if (!fused_applies(g.data, scale, zp, tuning)) return qdq_int(w, spec, tuning).qdq;

  // Upstream uses the fp16 scale twice (t/scale and q*scale); autograd casts each
  // contribution's fp32 gradient to fp16 before adding them. Two casts keep that: each
  // ToCopy backward rounds its own contribution. With an fp32 scale both are `scale`
  // itself and the contributions add in fp32, also as upstream.
  const at::Tensor scale_in = scale.to(at::kFloat);
  const at::Tensor scale_out = scale.to(at::kFloat);
  // qdq_int rounds with round_ste exactly when t/scale + v requires grad.
  const bool ste = c10::GradMode::is_enabled() &&
                   (g.data.requires_grad() || scale.requires_grad() || (tuning.v.defined() && tuning.v.requires_grad()));
  at::Tensor out = fused::int_fake_quant_grouped(g.data.to(at::kFloat), tuning.v, scale_in, scale_out, zp,
                                                 spec.bits, spec.sym, ste,
                                                 rule == ClampGradRule::LinkedTorch &&
                                                     fused::linked_torch_clamp_grad_at_bounds());
  return ungroup_rows(out.to(w.scalar_type()), g);
}

at::Tensor fake_quant_nvfp4(const at::Tensor& w, int64_t group_size, const at::Tensor& global_scale,
                            const at::Tensor& v, const at::Tensor& max_scale, FakeQuantImpl impl, ClampGradRule rule) {
  if (impl == FakeQuantImpl::Reference || !w.is_cpu() || (v.defined() && v.scalar_type() != at::kFloat))
    return qdq_nvfp4(w, group_size, global_scale, v, max_scale).qdq;
  // Block scales exactly as qdq_nvfp4 computes them.
  const at::Tensor gs = global_scale.defined() ? global_scale.to(at::kFloat) : nvfp4_global_scale(w);
  const Grouped g = group_rows(w, group_size);
  const at::Tensor& x = g.data;
  at::Tensor vec_max = std::get<0>(x.abs().max(-1, true)).to(at::kFloat);
  if (max_scale.defined()) vec_max = vec_max * max_scale.view({-1, 1});
  at::Tensor scale = gs * (vec_max * (1.0 / 6.0));
  scale = at::clamp(scale, -kFloat8E4M3Max, kFloat8E4M3Max);
  scale = float8_e4m3fn_ste(scale).to(at::kFloat);
  const at::Tensor output_scale = reciprocal_or_zero(scale * reciprocal_or_zero(gs));
  if (v.defined() && !v.sizes().equals(x.sizes())) return qdq_nvfp4(w, group_size, global_scale, v, max_scale).qdq;
  at::Tensor out = fused::nvfp4_fake_quant_grouped(
      x.to(at::kFloat), v, output_scale, reciprocal_or_zero(output_scale),
      rule == ClampGradRule::LinkedTorch && fused::linked_torch_clamp_grad_at_bounds());
  return ungroup_rows(out, g).to(w.scalar_type());
}

}  // namespace arecipe::qdq
