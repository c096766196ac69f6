// Byte layouts of auto-round's floating-point exports (spec 8.5), re-derived from
// the fake-quant weight and its scales exactly as upstream's packers do
// (export_to_autoround/qlinear_fp.py QuantLinear.pack, export_to_fp8.py pack_layer):
// MX / NVFP4 as compressed-tensors tensors, FP8 as float8_e4m3fn weights.
// float8 tensors are returned as their raw bytes (uint8); LibTorch 1.13 has no
// float8 dtype, so the sink writes them with the safetensors dtype F8_E4M3.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace arecipe::exporters {

// float → float8_e4m3fn byte, rounding half to even, as torch's `.to(float8_e4m3fn)`
// (|x| > 448 and NaN give the NaN byte 0x7f/0xff, as torch does; callers clamp).
uint8_t float_to_e4m3fn(float x);
at::Tensor encode_e4m3fn(const at::Tensor& x);  // any float dtype → uint8, same shape

// compressed-tensors' FP4 packing (upstream _pack_fp4_to_uint8): each value's nearest
// e2m1 magnitude index (first on ties) | sign bit 3, element 2i in the low nibble.
// x: [N, K] with K even → uint8 [N, K/2].
at::Tensor pack_fp4_to_uint8(const at::Tensor& x);

struct PackedFpLayer {
  at::Tensor weight;        // uint8: packed FP4 [N, K/2], or e4m3 bytes [N, K]
  bool weight_is_fp8 = false;
  at::Tensor scale;         // MX: E8M0 uint8 [N, K/32]; NVFP4: e4m3 bytes [N, K/16]; FP8: see pack_fp8
  bool scale_is_fp8 = false;
  at::Tensor global_scale;  // NVFP4: fp32 [1]
};

// MX (mx_fp4 / mx_fp8): shared_exp fp32 [N, K/group] from qdq_mx.
PackedFpLayer pack_mx(const at::Tensor& fake_quant, const at::Tensor& shared_exp, int bits, int64_t group_size);

// NVFP4: block_scale fp32 [N, K/group] on the e4m3 grid, global_scale fp32 (any
// shape with one element) from qdq_nvfp4.
PackedFpLayer pack_nvfp4(const at::Tensor& fake_quant, const at::Tensor& block_scale,
                         const at::Tensor& global_scale, int64_t group_size);

// FP8: scale as qdq_fp8 returns it. Stored scale: the model's dtype (the fake-quant
// weight's), flattened to [groups] for 1-D groupings (weight_scale), [Mb, Nb] for
// blocks (weight_scale_inv).
PackedFpLayer pack_fp8(const at::Tensor& fake_quant, const at::Tensor& scale, int64_t group_size,
                       int64_t group_rows);

}  // namespace arecipe::exporters
