// Bit packing of integer codes and zero points into the layouts that auto-round's
// exporters write (spec 8.2-8.4): GPTQ (qweight packed along the input dim, qzeros
// along the output dim, 32 values per bits int32 words, value i at bit i·bits of a
// little-endian bit stream, which for 3 bits is exactly GPTQ's 10/1/10/1/10 layout)
// and AWQ (along the output dim with the [0,2,4,6,1,3,5,7] nibble interleave).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace arecipe::exporters {

// Integer codes as upstream's packers re-derive them from the stored fake-quant
// weight: clamp(round(W / s + zp), 0, 2^b-1), with s and zp repeated over each group
// and cut to K columns. `zp` is [N, G] (asym) or undefined, then `sym_zp` (= 2^(b-1))
// is used. Returns int32 [N, K].
at::Tensor codes_from_fake_quant(const at::Tensor& qdq, const at::Tensor& scale, const at::Tensor& zp,
                                 int64_t sym_zp, int bits, int64_t group_size);

// codes int32 [N, K] → qweight int32 [K·b/32, N]. K must be a multiple of 32.
at::Tensor pack_gptq_qweight(const at::Tensor& codes, int bits);

// zero points int32 [N, G] → qzeros int32 [G, N·b/32], storing zp + offset clamped
// to [0, 2^b-1] (offset -1 for auto_gptq / auto_round:auto_gptq, 0 for auto_round).
// N must be a multiple of 32.
at::Tensor pack_gptq_qzeros(const at::Tensor& zp, int bits, int offset);

// AWQ GEMM, 4 bits: codes [N, K] → qweight int32 [K, N/8]; zp [N, G] → [G, N/8].
at::Tensor pack_awq_qweight(const at::Tensor& codes);
at::Tensor pack_awq_qzeros(const at::Tensor& zp);

}  // namespace arecipe::exporters
