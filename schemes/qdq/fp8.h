// FP8 (e4m3fn) weight fake-quant as auto-round's data_type/fp8.py: quant_fp8_sym
// (per tensor: group_size 0, per output channel: -1, or groups of inputs) and
// quant_block_fp_sym (2-D blocks, FP8_BLOCK's group_size (128, 128)).
//
// Scale dtypes follow upstream exactly: the 1-D variants compute the scale in fp32;
// the block variant keeps it in the weight's dtype (a bf16 model gets bf16 block
// scales and bf16 arithmetic). fp16 weights are divided as bf16, as upstream does.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace arecipe::qdq {

// 1 / (448 * 512): upstream's (vLLM's) smallest scale.
constexpr double kFp8MinScale = 1.0 / (448.0 * 512.0);

struct Fp8Qdq {
  at::Tensor qdq;  // input shape and dtype
  // 1-D groupings: fp32 [groups, 1] (per tensor [1, 1], per channel [N, 1]).
  // Blocks: [ceil(N/rows), ceil(K/cols)] in the weight's dtype.
  at::Tensor scale;
};

// group_rows > 0 selects 2-D blocks of group_rows x group_size (zero-padded at the
// bottom/right edges as upstream pads them). v (grouped / blocked shape) and
// max_scale (per group / block) are the optional SignRound tensors.
Fp8Qdq qdq_fp8(const at::Tensor& w, int64_t group_size, int64_t group_rows = 0, const at::Tensor& v = {},
               const at::Tensor& max_scale = {});

}  // namespace arecipe::qdq
