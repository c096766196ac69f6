// The SignRound tuner's fake-quant entry point: the same value and gradients as
// qdq_int(w, spec, tuning).qdq, with the element-wise part run by the fused kernels.
#pragma once
#include <ATen/core/Tensor.h>

#include "schemes/qdq/int_qdq.h"

namespace arecipe::qdq {

enum class FakeQuantImpl {
  Fused,      // fused CPU/CUDA kernels (falls back to Reference where they do not apply)
  Reference,  // the ATen op chain of qdq_int
};

// The gradient a code exactly on the grid's bound gets. auto-round runs on torch 2.x,
// whose clamp passes none there; LibTorch 1.13's clamp passes it. The reference chain
// follows whichever LibTorch is linked; the fused kernels follow auto-round unless
// told to mimic the linked one (for comparing the two).
enum class ClampGradRule { AutoRound, LinkedTorch };

// Fake-quantized w ([N, K] or any shape; shape and dtype of w, padding removed),
// differentiable w.r.t. tuning.v / min_scale / max_scale. The per-group scale and zp
// stay ATen (int_scale_zp), so α/β gradients flow through the fp16 cast and
// round_ste(zp) exactly as upstream's; only the element-wise tail is fused.
// Fused applies when the element-wise math runs in fp32 (fp32 or bf16 weights, or an
// fp32 scale; upstream computes fp16 weights with an fp16 scale in fp16) on CPU or,
// in CUDA builds, on a CUDA device; otherwise this is the Reference chain.
at::Tensor fake_quant_int(const at::Tensor& w, const IntSpec& spec, const IntTuning& tuning = {},
                          FakeQuantImpl impl = FakeQuantImpl::Fused, ClampGradRule rule = ClampGradRule::AutoRound);

// NVFP4 (spec 5.2): exactly qdq_nvfp4(w, group_size, global_scale, v, max_scale).qdq,
// differentiable w.r.t. v and max_scale, with the element chain fused (CPU; other
// devices, or a non-fp32 v, run the reference chain). The per-group block-scale math
// stays ATen (it repeats nv_fp.cpp's lines, which do not expose it).
at::Tensor fake_quant_nvfp4(const at::Tensor& w, int64_t group_size = 16, const at::Tensor& global_scale = {},
                            const at::Tensor& v = {}, const at::Tensor& max_scale = {},
                            FakeQuantImpl impl = FakeQuantImpl::Fused,
                            ClampGradRule rule = ClampGradRule::AutoRound);

}  // namespace arecipe::qdq
