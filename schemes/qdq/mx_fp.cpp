#include "schemes/qdq/mx_fp.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "schemes/qdq/group_reshape.h"
#include "schemes/qdq/rounding.h"

namespace arecipe::qdq {

MxFormat mx_format(const std::string& name) {
  if (name == "mx_fp4" || name == "mx_fp4e2m1") return {2, 3, 2, 6.0};
  if (name == "mx_fp8" || name == "mx_fp8e4m3") return {4, 5, 8, 448.0};
  if (name == "mx_fp6" || name == "mx_fp6e2m3") return {2, 5, 2, 7.5};
  if (name == "mx_fp6e3m2") return {3, 4, 4, 28.0};
  if (name == "mx_fp8e5m2") return {5, 4, 15, 57344.0};
  throw std::invalid_argument("unknown MX format '" + name + "'");
}

at::Tensor mx_quant_element(const at::Tensor& x, const MxFormat& fmt) {
  // Private exponent per element, floored at the smallest normal exponent.
  at::Tensor private_exp = floor_ste(at::log2(x.abs() + (x == 0).to(x.scalar_type())));
  const double min_exp = -std::pow(2.0, fmt.ebits - 1) + 2;
  private_exp = at::clamp_min(private_exp, min_exp);
  const double mant_scale = std::pow(2.0, fmt.mbits - 2);
  at::Tensor pow_exp = at::pow(2.0, private_exp.to(at::kFloat));
  at::Tensor t = x / pow_exp * mant_scale;
  // Round half to even written as upstream does (floor(|t|+0.5) minus 1 on exact ties
  // to an odd result), so ties resolve identically.
  at::Tensor abs_t = t.abs();
  at::Tensor tie_to_odd = (at::remainder(abs_t - 0.5, 2) == at::zeros_like(abs_t)).to(t.scalar_type());
  t = at::sign(t) * (floor_ste(abs_t + 0.5) - tie_to_odd);
  t = t / mant_scale * pow_exp;
  return at::clamp(t, -fmt.max_norm, fmt.max_norm);
}

MxQdq qdq_mx(const at::Tensor& w, const MxFormat& fmt, int64_t group_size, const at::Tensor& v,
             const at::Tensor& max_scale) {
  const Grouped g = group_rows(w, group_size);
  at::Tensor t = g.data.to(at::kFloat);
  at::Tensor max_val = std::get<0>(t.abs().max(-1, true));
  if (max_scale.defined()) max_val = max_val * max_scale.unsqueeze(-1);
  at::Tensor shared_exp = at::where(max_val == 0, at::ones_like(max_val), at::log2(max_val));
  shared_exp = floor_ste(shared_exp);
  shared_exp = at::clamp(shared_exp - fmt.emax, -127.0, 127.0);
  at::Tensor scale = at::pow(2.0, shared_exp.to(at::kFloat));

  // Element-wise chain (divide, offset, clamp, grid rounding, rescale): the fused
  // kernel's job once the tuner runs it every step.
  t = t / scale;
  if (v.defined()) t = t + v;
  t = at::clamp(t, -fmt.max_norm, fmt.max_norm);
  t = mx_quant_element(t, fmt) * scale;

  MxQdq out;
  out.qdq = ungroup_rows(t, g).to(w.scalar_type());
  const int64_t rows = g.data.size(0) / g.groups_per_row;
  out.shared_exp = shared_exp.detach().reshape({rows, g.groups_per_row});
  return out;
}

}  // namespace arecipe::qdq
