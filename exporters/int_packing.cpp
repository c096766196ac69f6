#include "exporters/int_packing.h"

#include <ATen/ATen.h>

#include <stdexcept>
#include <string>

namespace arecipe::exporters {
namespace {

void check_bits(int bits) {
  if (bits != 2 && bits != 3 && bits != 4 && bits != 8)
    throw std::invalid_argument("int packing supports 2, 3, 4 and 8 bits, got " + std::to_string(bits));
}

// rows [R, C] of small non-negative ints → [R, C·b/32] int32 words, packing each row's
// values as one little-endian bit stream (value j at bit j·b). C % 32 == 0.
at::Tensor pack_rows_bitstream(const at::Tensor& values, int bits) {
  at::Tensor v = values.to(at::kInt).contiguous();
  const int64_t rows = v.size(0), cols = v.size(1);
  if (cols % 32 != 0) throw std::invalid_argument("packed dimension " + std::to_string(cols) + " is not a multiple of 32");
  const int64_t words = cols * bits / 32;
  at::Tensor out = at::zeros({rows, words}, at::kInt);
  const int32_t* src = v.data_ptr<int32_t>();
  auto* dst = reinterpret_cast<uint32_t*>(out.data_ptr<int32_t>());
  const uint32_t mask = (1u << bits) - 1;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      const uint64_t bit = static_cast<uint64_t>(j) * bits;
      const uint64_t value = static_cast<uint32_t>(src[r * cols + j]) & mask;
      const int64_t word = static_cast<int64_t>(bit / 32);
      const unsigned shift = bit % 32;
      dst[r * words + word] |= static_cast<uint32_t>(value << shift);
      if (shift + bits > 32) dst[r * words + word + 1] |= static_cast<uint32_t>(value >> (32 - shift));
    }
  }
  return out;
}

// AWQ: 8 values per word, value of column c·8+j at nibble position order[j].
at::Tensor pack_awq_rows(const at::Tensor& values) {
  at::Tensor v = values.to(at::kInt).contiguous();
  const int64_t rows = v.size(0), cols = v.size(1);
  if (cols % 8 != 0) throw std::invalid_argument("AWQ packing needs a multiple of 8 columns");
  static constexpr int kOrder[8] = {0, 4, 1, 5, 2, 6, 3, 7};
  at::Tensor out = at::zeros({rows, cols / 8}, at::kInt);
  const int32_t* src = v.data_ptr<int32_t>();
  auto* dst = reinterpret_cast<uint32_t*>(out.data_ptr<int32_t>());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      dst[r * (cols / 8) + c / 8] |= (static_cast<uint32_t>(src[r * cols + c]) & 0xF) << (kOrder[c % 8] * 4);
  return out;
}

}  // namespace

at::Tensor codes_from_fake_quant(const at::Tensor& qdq, const at::Tensor& scale, const at::Tensor& zp,
                                 int64_t sym_zp, int bits, int64_t group_size) {
  const int64_t k = qdq.size(1);
  const int64_t g = group_size == -1 ? k : group_size;
  const int64_t maxq = (int64_t{1} << bits) - 1;
  at::Tensor s = scale.repeat_interleave(g, 1).narrow(1, 0, k);
  at::Tensor x = qdq / s;
  x = zp.defined() ? x + zp.repeat_interleave(g, 1).narrow(1, 0, k) : x + sym_zp;
  return at::clamp(at::round(x), 0, maxq).to(at::kInt);
}

at::Tensor pack_gptq_qweight(const at::Tensor& codes, int bits) {
  check_bits(bits);
  // Pack along K for every output row, then transpose to [K·b/32, N].
  return pack_rows_bitstream(codes, bits).t().contiguous();
}

at::Tensor pack_gptq_qzeros(const at::Tensor& zp, int bits, int offset) {
  check_bits(bits);
  const int64_t maxq = (int64_t{1} << bits) - 1;
  // Upstream clamps so that an asym zp of 0 (stored -1) only degrades itself instead
  // of corrupting its neighbours in the word.
  at::Tensor stored = at::clamp(zp.to(at::kInt) + offset, 0, maxq);
  return pack_rows_bitstream(stored.t().contiguous(), bits);
}

at::Tensor pack_awq_qweight(const at::Tensor& codes) { return pack_awq_rows(codes.t().contiguous()); }

at::Tensor pack_awq_qzeros(const at::Tensor& zp) { return pack_awq_rows(zp.t().contiguous()); }

}  // namespace arecipe::exporters
