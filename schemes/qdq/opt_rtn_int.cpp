#include "schemes/qdq/opt_rtn_int.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "schemes/qdq/group_reshape.h"

namespace arecipe::qdq {
namespace {

// auto_round.utils.get_reciprocal: 1/x, with 0 for |x| below a dtype-dependent eps.
at::Tensor safe_reciprocal(const at::Tensor& t) {
  const double eps = t.scalar_type() == at::kHalf ? 1e-5 : 1e-30;
  at::Tensor safe = t.abs() >= eps;
  at::Tensor safe_t = at::where(safe, t, at::ones_like(t));
  return at::where(safe, at::reciprocal(safe_t), at::zeros_like(t));
}

at::Tensor weighted_sq_error(const at::Tensor& scales, const at::Tensor& levels,
                             const at::Tensor& data, const at::Tensor& weights) {
  at::Tensor loss = (scales * levels - data).to(at::kFloat).pow(2);
  if (weights.defined()) loss.mul_(weights);
  return loss.sum(-1);
}

// Upstream _imatrix_handle_zero (data_type/gguf.py): activations that were never
// non-zero during calibration would make the loss blind to those columns.
at::Tensor fill_imatrix_zeros(at::Tensor imatrix, const at::Tensor& weight, int bits,
                              int64_t group_size) {
  if (at::min(imatrix).item<double>() != 0) return imatrix;
  imatrix = imatrix.reshape({-1, imatrix.size(-1)}).clone();
  at::Tensor zero_cnt = (imatrix <= 1e-30).sum(-1);
  at::Tensor replace_rows = zero_cnt > group_size / 2;
  if (replace_rows.sum().item<int64_t>() > 0) {
    at::Tensor fallback;
    if (bits <= 3) {
      fallback = weight.abs();
    } else {
      at::Tensor sigma2 = weight.pow(2).sum(-1, true) / 32;  // 32 as upstream
      fallback = weight.abs() + sigma2.sqrt();
    }
    fallback = fallback.to(imatrix.scalar_type());
    imatrix = at::where(replace_rows.unsqueeze(-1), fallback, imatrix);
  }
  at::Tensor mean_rows = (zero_cnt > 0) & (zero_cnt <= group_size / 2);
  if (mean_rows.sum().item<int64_t>() > 0) {
    at::Tensor mean = imatrix.sum(-1) / (imatrix.size(1) - zero_cnt);
    at::Tensor fill = mean.view({-1, 1}).expand({-1, imatrix.size(1)});
    imatrix = at::where(imatrix == 0, fill, imatrix);
  }
  return imatrix.reshape(weight.sizes());
}

}  // namespace

at::Tensor search_int_sym_scales(const at::Tensor& data, int bits, const at::Tensor& weights) {
  const int64_t nmax = int64_t{1} << (bits - 1);
  at::Tensor imax = data.abs().argmax(-1, true);
  at::Tensor group_max = data.gather(-1, imax);
  at::Tensor recip_max = safe_reciprocal(group_max);

  at::Tensor iscales = recip_max * static_cast<double>(-nmax);
  at::Tensor scales = safe_reciprocal(iscales);
  at::Tensor levels = at::clamp(at::round(iscales * data), -nmax, nmax - 1);
  at::Tensor best_loss = weighted_sq_error(scales, levels, data, weights);

  // Same double arithmetic as upstream so the candidate grid is identical.
  int64_t steps;
  double step;
  if (bits == 2) {
    steps = 18 * 5;
    step = 0.01;
  } else {
    const double ratio = 0.75;  // upstream env AR_SEARCH_SCALE_RATIO default
    const double range = static_cast<double>(nmax) * ratio;
    step = range / 200 * 2;
    steps = static_cast<int64_t>(range / step);
  }
  for (int64_t k = -steps; k <= steps; ++k) {
    if (k == 0) continue;
    const double divisor = -(static_cast<double>(nmax) - step * static_cast<double>(k));
    at::Tensor iscales_k = recip_max * divisor;
    at::Tensor levels_k = at::clamp(at::round(iscales_k * data), -nmax, nmax - 1);
    at::Tensor scales_k = safe_reciprocal(iscales_k);
    at::Tensor loss = weighted_sq_error(scales_k, levels_k, data, weights);
    at::Tensor better = loss < best_loss;
    scales = at::where(better.unsqueeze(-1), scales_k, scales);
    best_loss = at::where(better, loss, best_loss);
  }
  return scales;
}

IntQdq qdq_int_opt_rtn(const at::Tensor& w, const IntSpec& spec, const at::Tensor& imatrix) {
  if (!spec.sym) throw std::invalid_argument("qdq_int_opt_rtn: only symmetric int has a scale search");
  const Grouped g = group_rows(w, spec.group_size);
  const at::Tensor& t = g.data;
  const int64_t maxq = int64_t{1} << (spec.bits - 1);

  at::Tensor weights;
  if (imatrix.defined()) {
    at::Tensor im = group_rows(imatrix.reshape({1, -1}), spec.group_size, 1e-5).data.view({1, -1});
    im = im.expand({t.numel() / im.numel(), -1}).reshape(t.sizes());
    weights = fill_imatrix_zeros(im, t, spec.bits, spec.group_size);
  }
  at::Tensor scale = search_int_sym_scales(t, spec.bits, weights);
  scale = at::where(scale < 0, at::clamp_max(scale, -spec.q_scale_thresh),
                    at::clamp_min(scale, spec.q_scale_thresh));
  at::Tensor q = at::clamp(at::round(t / scale), -maxq, maxq - 1);

  IntQdq out;
  out.qdq = ungroup_rows((q * scale).to(w.scalar_type()), g);
  const int64_t rows = t.size(0) / g.groups_per_row;
  out.codes = ungroup_rows(q + static_cast<double>(maxq), g).reshape({rows, -1}).to(at::kInt);
  out.scale = scale.reshape({rows, g.groups_per_row});
  out.zp = at::full({rows, g.groups_per_row}, maxq, at::TensorOptions().dtype(at::kInt));
  return out;
}

}  // namespace arecipe::qdq
