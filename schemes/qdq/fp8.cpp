#include "schemes/qdq/fp8.h"

#include <ATen/ATen.h>

#include <stdexcept>

#include "schemes/qdq/float8.h"
#include "schemes/qdq/group_reshape.h"

namespace arecipe::qdq {
namespace {

// Every upstream op below runs in some tensor dtype D (fp32, bf16 or fp16). We compute
// each op in fp32 and round the result to D where upstream's result has dtype D: for
// the single divisions, products and comparisons involved, fp32 then round-to-D is
// exactly D's correctly rounded result (fp32 has more than 2p+2 bits for bf16/fp16),
// which is what ATen's reduced-precision CPU kernels compute. It also runs on
// LibTorch 1.13, which lacks several CPU fp16 kernels.
at::Tensor in_dtype(const at::Tensor& x, at::ScalarType d) { return x.to(d).to(at::kFloat); }

// torch.clip(x, min=m) for x of dtype d: the bound is rounded to d first.
at::Tensor clip_min_in(const at::Tensor& x, double m, at::ScalarType d) {
  const double bound = at::scalar_tensor(m, at::kDouble).to(d).item<double>();
  return at::clamp_min(x, bound);
}

Fp8Qdq qdq_fp8_1d(const at::Tensor& w, int64_t group_size, const at::Tensor& v, const at::Tensor& max_scale) {
  const at::ScalarType orig = w.scalar_type();
  const Grouped g = group_rows(w, group_size);
  at::Tensor t = g.data;
  at::Tensor max_t = std::get<0>(t.abs().max(-1));  // weight dtype, exact
  if (max_scale.defined()) max_t = in_dtype(max_t.to(at::kFloat) * max_scale.to(at::kFloat), orig);
  at::Tensor scale = max_t.to(at::kFloat) / kFloat8E4M3Max;
  scale = at::clamp_min(scale, static_cast<float>(kFp8MinScale)).unsqueeze(-1);
  // fp16 is divided as bf16 (upstream: "avoid NaN gradients"); bf16 / fp32 → fp32.
  at::Tensor x = (orig == at::kHalf ? t.to(at::kBFloat16) : t).to(at::kFloat);
  at::Tensor r = x / scale;
  if (v.defined()) r = r + v;
  r = at::clamp(r, -kFloat8E4M3Max, kFloat8E4M3Max);
  r = float8_e4m3fn_ste(r);
  at::Tensor q = r * scale;
  return {ungroup_rows(q, g).to(orig), scale.detach()};
}

Fp8Qdq qdq_fp8_block(const at::Tensor& w, int64_t cols, int64_t rows, const at::Tensor& v,
                     const at::Tensor& max_scale) {
  if (w.dim() != 2) throw std::invalid_argument("block fp8 needs a 2-D weight");
  const at::ScalarType orig = w.scalar_type();
  const int64_t n = w.size(0), k = w.size(1);
  const int64_t mb = (n + rows - 1) / rows, nb = (k + cols - 1) / cols;
  at::Tensor padded = at::constant_pad_nd(w, {0, nb * cols - k, 0, mb * rows - n}, 0);
  at::Tensor blocks = padded.view({mb, rows, nb, cols}).permute({0, 2, 1, 3});  // [mb, nb, rows, cols]
  at::Tensor max_t = blocks.abs().amax({-2, -1});                              // weight dtype, exact
  at::Tensor scale = max_t.to(at::kFloat);
  if (max_scale.defined()) scale = in_dtype(scale * max_scale.to(at::kFloat), orig);
  scale = in_dtype(scale / kFloat8E4M3Max, orig);
  scale = clip_min_in(scale, kFp8MinScale, orig);
  // fp16: the tensor becomes bf16 and the quotient bf16 / fp16 promotes to fp32;
  // otherwise everything stays in the weight's dtype.
  const at::ScalarType work = orig == at::kHalf ? at::kFloat : orig;
  at::Tensor x = (orig == at::kHalf ? blocks.to(at::kBFloat16) : blocks).to(at::kFloat);
  at::Tensor s4 = scale.unsqueeze(-1).unsqueeze(-1);
  at::Tensor r = in_dtype(x / s4, work);
  if (v.defined()) r = in_dtype(r + v.to(at::kFloat), work);
  r = at::clamp(r, -kFloat8E4M3Max, kFloat8E4M3Max);
  r = float8_e4m3fn_ste(r);
  at::Tensor q = in_dtype(r * s4, work);
  q = q.permute({0, 2, 1, 3}).reshape({mb * rows, nb * cols}).narrow(0, 0, n).narrow(1, 0, k);
  return {q.to(orig), scale.to(orig).detach()};
}

}  // namespace

Fp8Qdq qdq_fp8(const at::Tensor& w, int64_t group_size, int64_t group_rows, const at::Tensor& v,
               const at::Tensor& max_scale) {
  if (group_rows > 0) {
    if (group_size <= 0) throw std::invalid_argument("block fp8 needs a positive group_size");
    return qdq_fp8_block(w, group_size, group_rows, v, max_scale);
  }
  return qdq_fp8_1d(w, group_size, v, max_scale);
}

}  // namespace arecipe::qdq
