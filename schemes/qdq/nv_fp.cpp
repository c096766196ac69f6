#include "schemes/qdq/nv_fp.h"

#include <ATen/ATen.h>

#include "schemes/qdq/float8.h"
#include "schemes/qdq/group_reshape.h"
#include "schemes/qdq/rounding.h"

namespace arecipe::qdq {
namespace {

constexpr double kFp4Max = 6.0;

// nvfp.py get_reciprocal: 1/x, 0 where x == 0.
at::Tensor reciprocal_or_zero(const at::Tensor& x) {
  return at::where(x == 0, at::zeros_like(x), at::reciprocal(x));
}

}  // namespace

at::Tensor nvfp4_global_scale(const at::Tensor& w) {
  at::Tensor amax = w.to(at::kFloat).abs().max();
  return reciprocal_or_zero(amax) * (kFloat8E4M3Max * kFp4Max);
}

at::Tensor cast_to_fp4(const at::Tensor& x) {
  at::Tensor sign = at::sign(x);
  at::Tensor a = x.abs();
  at::Tensor step1 = round_ste(a * 2.0) / 2.0;
  at::Tensor step2 = round_ste(a);
  at::Tensor step3 = round_ste(a / 2.0) * 2.0;
  at::Tensor below2 = a < 2.0;
  at::Tensor below4 = a < 4.0;
  at::Tensor r = step1 * below2 + step2 * at::logical_not(below2) * below4 +
                 step3 * at::logical_not(below2) * at::logical_not(below4);
  return at::clamp(r, -kFp4Max, kFp4Max) * sign;
}

NvFp4Qdq qdq_nvfp4(const at::Tensor& w, int64_t group_size, const at::Tensor& global_scale,
                   const at::Tensor& v, const at::Tensor& max_scale) {
  NvFp4Qdq out;
  out.global_scale = global_scale.defined() ? global_scale.to(at::kFloat) : nvfp4_global_scale(w);
  const Grouped g = group_rows(w, group_size);
  const at::Tensor& x = g.data;
  at::Tensor vec_max = std::get<0>(x.abs().max(-1, true)).to(at::kFloat);
  if (max_scale.defined()) vec_max = vec_max * max_scale.view({-1, 1});
  at::Tensor scale = out.global_scale * (vec_max * (1.0 / kFp4Max));
  scale = at::clamp(scale, -kFloat8E4M3Max, kFloat8E4M3Max);
  scale = float8_e4m3fn_ste(scale).to(at::kFloat);
  at::Tensor output_scale = reciprocal_or_zero(scale * reciprocal_or_zero(out.global_scale));

  // Element-wise chain: fused-kernel candidate (scale, offset, clamp, e2m1 rounding).
  at::Tensor scaled = x.to(at::kFloat) * output_scale;
  if (v.defined()) scaled = scaled + v;
  at::Tensor q = cast_to_fp4(at::clamp(scaled, -kFp4Max, kFp4Max)) * reciprocal_or_zero(output_scale);

  out.qdq = ungroup_rows(q, g).to(w.scalar_type());
  const int64_t rows = x.size(0) / g.groups_per_row;
  out.block_scale = scale.detach().reshape({rows, g.groups_per_row});
  return out;
}

}  // namespace arecipe::qdq
