#include "engine/model/packed_weights_dequant.h"

#include <ATen/ATen.h>

#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"

namespace arecipe {
namespace {

// words [R, W] int32 → values [R, C]: each row is one little-endian bit stream, value
// j at bit j·b (GPTQ's layout for 2/4/8 bits, and its 10/1/10/1/10 layout for 3).
at::Tensor unpack_rows_bitstream(const at::Tensor& words, int bits, int64_t cols) {
  at::Tensor w = words.contiguous();
  const int64_t rows = w.size(0), nwords = w.size(1);
  at::Tensor out = at::empty({rows, cols}, at::kInt);
  const auto* src = reinterpret_cast<const uint32_t*>(w.data_ptr<int32_t>());
  int32_t* dst = out.data_ptr<int32_t>();
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  for (int64_t r = 0; r < rows; ++r) {
    const uint32_t* row = src + r * nwords;
    for (int64_t j = 0; j < cols; ++j) {
      const uint64_t bit = static_cast<uint64_t>(j) * bits;
      const int64_t word = static_cast<int64_t>(bit / 32);
      const unsigned shift = bit % 32;
      uint64_t v = row[word] >> shift;
      if (shift + bits > 32) v |= static_cast<uint64_t>(row[word + 1]) << (32 - shift);
      dst[r * cols + j] = static_cast<int32_t>(v & mask);
    }
  }
  return out;
}

// AWQ GEMM: word c of a row holds columns c·8 .. c·8+7, column j at nibble order[j].
at::Tensor unpack_awq_rows(const at::Tensor& words) {
  at::Tensor w = words.contiguous();
  const int64_t rows = w.size(0), nwords = w.size(1), cols = nwords * 8;
  static constexpr int kOrder[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  at::Tensor out = at::empty({rows, cols}, at::kInt);
  const auto* src = reinterpret_cast<const uint32_t*>(w.data_ptr<int32_t>());
  int32_t* dst = out.data_ptr<int32_t>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      dst[r * cols + c] = static_cast<int32_t>((src[r * nwords + c / 8] >> (kOrder[c % 8] * 4)) & 0xF);
  return out;
}

at::ScalarType native(DType t) {
  switch (t) {
    case DType::I32: return at::kInt;
    case DType::I64: return at::kLong;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    default: return at::kFloat;
  }
}

}  // namespace

at::Tensor unpack_codes(const PackedLayer& l, const at::Tensor& qweight) {
  if (l.scheme.layout == PackedLayout::awq) return unpack_awq_rows(qweight).t().contiguous();  // [K, N] → [N, K]
  // [K·b/32, N]: each output column is one bit stream along K.
  return unpack_rows_bitstream(qweight.t().contiguous(), l.scheme.bits, l.in_features);
}

at::Tensor unpack_zeros(const PackedLayer& l, const at::Tensor& qzeros) {
  if (l.scheme.layout == PackedLayout::awq) return unpack_awq_rows(qzeros);  // [G, N]
  return unpack_rows_bitstream(qzeros, l.scheme.bits, l.out_features);   // [G, N·b/32] → [G, N]
}

at::Tensor dequantize_packed(const PackedLayer& l, const at::Tensor& qweight, const at::Tensor& qzeros,
                             const at::Tensor& scales, const at::Tensor& g_idx, const std::string& where,
                             at::ScalarType type) {
  const at::ScalarType math = type == at::kDouble ? at::kDouble : at::kFloat;
  at::Tensor codes = unpack_codes(l, qweight);                         // [N, K]
  at::Tensor zeros = unpack_zeros(l, qzeros) + l.scheme.zp_offset;     // [G, N]
  at::Tensor group;                                                    // [K] group of each input
  if (g_idx.defined()) {
    group = g_idx.to(at::kLong);
    if (group.numel() > 0 && (group.min().item<int64_t>() < 0 || group.max().item<int64_t>() >= l.groups))
      fail(where, "tensor '" + l.g_idx() + "' has group indices outside [0, " + std::to_string(l.groups) + ")");
  } else {
    const int64_t g = l.scheme.group_size == -1 ? l.in_features : l.scheme.group_size;
    group = at::div(at::arange(l.in_features, at::kLong), g, "floor");
  }
  // [G, N] → per input column [K, N] → [N, K]
  at::Tensor s = scales.to(math).index_select(0, group).t();
  at::Tensor z = zeros.index_select(0, group).t();
  return (s * (codes - z).to(math)).to(type).contiguous();
}

at::Tensor dequantize_packed(const TensorStore& store, const PackedLayer& l, at::ScalarType type) {
  auto read = [&](const std::string& name) {
    const TensorView v = store.view(name);
    return to_tensor(v, native(v.info->dtype));
  };
  at::Tensor g_idx = l.has_g_idx ? read(l.g_idx()) : at::Tensor();
  return dequantize_packed(l, read(l.qweight()), read(l.qzeros()), read(l.scales()), g_idx, store.dir(), type);
}

}  // namespace arecipe
