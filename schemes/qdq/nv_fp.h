// NVFP4 fake-quant as auto-round's data_type/nvfp.py nv_fp4 / ref_nvfp4_quant: fp32
// per-tensor global scale 448·6/amax, per-16 block scales rounded to float8 e4m3,
// elements on the FP4 e2m1 grid.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace arecipe::qdq {

// 448·6 / amax(|w|) as fp32 0-dim tensor (0 when w is all zero), upstream calculate_gparam.
at::Tensor nvfp4_global_scale(const at::Tensor& w);

struct NvFp4Qdq {
  at::Tensor qdq;           // input shape and dtype
  at::Tensor block_scale;   // fp32 [N, K/16], values on the e4m3 grid
  at::Tensor global_scale;  // fp32 0-dim; dequant = fp4 · block_scale / global_scale
};

// global_scale undefined → computed from w (fused q/k/v and gate/up layers pass the
// shared minimum instead, spec 5.2). v / max_scale optional tuning tensors.
NvFp4Qdq qdq_nvfp4(const at::Tensor& w, int64_t group_size = 16, const at::Tensor& global_scale = {},
                   const at::Tensor& v = {}, const at::Tensor& max_scale = {});

// Nearest FP4 e2m1 value of x (|x| ≤ 6), upstream cast_to_fp4.
at::Tensor cast_to_fp4(const at::Tensor& x);

}  // namespace arecipe::qdq
