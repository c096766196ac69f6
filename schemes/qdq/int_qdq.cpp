#include "schemes/qdq/int_qdq.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

#include "schemes/qdq/group_reshape.h"
#include "schemes/qdq/rounding.h"

namespace arecipe::qdq {
namespace {

void check_spec(const IntSpec& spec) {
  if (spec.bits < 2 || spec.bits > 8)
    throw std::invalid_argument("qdq_int: bits must be in 2..8, got " + std::to_string(spec.bits));
  if (spec.group_size == 0 || spec.group_size < -1)
    throw std::invalid_argument("qdq_int: group_size must be -1 or positive, got " +
                                std::to_string(spec.group_size));
}

// Upstream clamps in the scale's dtype: clamp(scale, min=t) with t first rounded to
// that dtype. Debian's LibTorch 1.13 has no fp16 clamp on CPU, so compare in fp32
// (exact: every fp16 value is an fp32 value) and cast back, which is the same result.
at::Tensor clamp_min_in_dtype(const at::Tensor& scale, double thresh) {
  const at::Tensor t = at::scalar_tensor(thresh, scale.options()).to(at::kFloat);
  const at::Tensor s = scale.to(at::kFloat);
  return at::where(s < t, t, s).to(scale.scalar_type());
}
at::Tensor clamp_max_in_dtype(const at::Tensor& scale, double thresh) {
  const at::Tensor t = at::scalar_tensor(thresh, scale.options()).to(at::kFloat);
  const at::Tensor s = scale.to(at::kFloat);
  return at::where(s > t, t, s).to(scale.scalar_type());
}

// Upstream: torch.where(scale < 0, clamp(scale, max=-t), clamp(scale, min=t)).
at::Tensor floor_magnitude_keep_sign(const at::Tensor& scale, double thresh) {
  return at::where(scale < 0, clamp_max_in_dtype(scale, -thresh), clamp_min_in_dtype(scale, thresh));
}

}  // namespace

std::pair<at::Tensor, at::Tensor> int_scale_zp(const at::Tensor& t, const IntSpec& spec,
                                               const IntTuning& tuning) {
  at::Tensor wmin_tmp, wmax_tmp;
  if (tuning.weight_min.defined() && tuning.weight_max.defined()) {
    wmin_tmp = tuning.weight_min;
    wmax_tmp = tuning.weight_max;
  } else {
    wmin_tmp = at::clamp_max(std::get<0>(t.min(-1)), 0);
    wmax_tmp = at::clamp_min(std::get<0>(t.max(-1)), 0);
  }
  if (spec.sym) {
    const int64_t maxq = int64_t{1} << (spec.bits - 1);
    // α/β of 1.0 are exact multiplications, so skipping them for RTN changes nothing.
    at::Tensor wmin_abs = -(tuning.min_scale.defined() ? wmin_tmp * tuning.min_scale : wmin_tmp);
    at::Tensor wmax_abs = tuning.max_scale.defined() ? wmax_tmp * tuning.max_scale : wmax_tmp;
    // Sign chosen so the extreme element lands on -maxq (full-range sym).
    at::Tensor sign = (wmax_abs < wmin_abs).to(at::kInt) * 2 - 1;
    at::Tensor max_v = sign * at::maximum(wmax_abs, wmin_abs);
    at::Tensor scale = (max_v / maxq).to(spec.scale_dtype);
    return {floor_magnitude_keep_sign(scale, spec.q_scale_thresh), at::Tensor()};
  }
  const int64_t maxq = (int64_t{1} << spec.bits) - 1;
  // Upstream applies α/β only when they are tensors, i.e. during tuning.
  at::Tensor wmin = tuning.min_scale.defined() ? wmin_tmp * tuning.min_scale : wmin_tmp;
  at::Tensor wmax = tuning.max_scale.defined() ? wmax_tmp * tuning.max_scale : wmax_tmp;
  at::Tensor scale = ((wmax - wmin) / maxq).to(spec.scale_dtype);
  scale = clamp_min_in_dtype(scale, spec.q_scale_thresh);
  at::Tensor zp = round_ste(-wmin / scale);  // gradient reaches α through zp
  return {scale, zp};
}

IntQdq qdq_int(const at::Tensor& w, const IntSpec& spec, const IntTuning& tuning) {
  check_spec(spec);
  const Grouped g = group_rows(w, spec.group_size);
  const at::Tensor& t = g.data;
  auto [scale_flat, zp_flat] = int_scale_zp(t, spec, tuning);
  at::Tensor scale = scale_flat.unsqueeze(-1);

  // Element-wise tail, as upstream writes it. The tuner runs the same math through
  // the fused kernels of schemes/qdq/fused (one pass forward, one backward).
  at::Tensor x = t / scale;
  if (tuning.v.defined()) x = x + tuning.v;
  at::Tensor q, codes, qdq;
  if (spec.sym) {
    const int64_t maxq = int64_t{1} << (spec.bits - 1);
    q = at::clamp(round_ste(x), -maxq, maxq - 1);
    qdq = (q * scale).to(w.scalar_type());
    codes = q.detach() + static_cast<double>(maxq);
  } else {
    const int64_t maxq = (int64_t{1} << spec.bits) - 1;
    at::Tensor zp = zp_flat.unsqueeze(-1);
    q = at::clamp(round_ste(x) + zp, 0, maxq);
    qdq = (scale * (q - zp)).to(w.scalar_type());
    codes = q.detach();
  }

  IntQdq out;
  out.qdq = ungroup_rows(qdq, g);
  const int64_t rows = g.data.size(0) / g.groups_per_row;
  out.codes = ungroup_rows(codes, g).reshape({rows, -1}).to(at::kInt);
  out.scale = scale_flat.detach().reshape({rows, g.groups_per_row});
  if (spec.sym) {
    out.zp = at::full({rows, g.groups_per_row}, int64_t{1} << (spec.bits - 1),
                      at::TensorOptions().dtype(at::kInt));
  } else {
    out.zp_float = zp_flat.detach().reshape({rows, g.groups_per_row});
    out.zp = out.zp_float.to(at::kInt);
  }
  return out;
}

}  // namespace arecipe::qdq
