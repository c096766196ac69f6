#include "schemes/ggml/codec.h"

#include <cstring>

#include "schemes/ggml/blocks.h"
#include "schemes/ggml/half.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "GGUF blocks are written with memcpy: little-endian hosts only");

namespace arecipe::ggml {

void quantize_row(Type t, const float* x, int64_t n, const float* imp, uint8_t* out) {
  (void)row_bytes(t, n);  // validates n against the block size
  using namespace detail;
  switch (t) {
    case Type::F32:
      std::memcpy(out, x, static_cast<size_t>(n) * 4);
      return;
    case Type::F16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_fp16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case Type::BF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = fp32_to_bf16(x[i]);
        std::memcpy(out + 2 * i, &h, 2);
      }
      return;
    case Type::Q4_0: return quantize_q4_0(x, n, imp, out);
    case Type::Q4_1: return quantize_q4_1(x, n, imp, out);
    case Type::Q5_0: return quantize_q5_0(x, n, imp, out);
    case Type::Q5_1: return quantize_q5_1(x, n, imp, out);
    case Type::Q8_0: return quantize_q8_0(x, n, out);
    case Type::Q2_K: return quantize_q2_k(x, n, imp, out);
    case Type::Q3_K: return quantize_q3_k(x, n, imp, out);
    case Type::Q4_K: return quantize_q4_k(x, n, imp, out);
    case Type::Q5_K: return quantize_q5_k(x, n, imp, out);
    case Type::Q6_K: return quantize_q6_k(x, n, imp, out);
  }
}

void dequantize_row(Type t, const uint8_t* in, int64_t n, float* y) {
  (void)row_bytes(t, n);
  using namespace detail;
  switch (t) {
    case Type::F32:
      std::memcpy(y, in, static_cast<size_t>(n) * 4);
      return;
    case Type::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, in + 2 * i, 2);
        y[i] = fp16_to_fp32(h);
      }
      return;
    case Type::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, in + 2 * i, 2);
        y[i] = bf16_to_fp32(h);
      }
      return;
    case Type::Q4_0: return dequantize_q4_0(in, n, y);
    case Type::Q4_1: return dequantize_q4_1(in, n, y);
    case Type::Q5_0: return dequantize_q5_0(in, n, y);
    case Type::Q5_1: return dequantize_q5_1(in, n, y);
    case Type::Q8_0: return dequantize_q8_0(in, n, y);
    case Type::Q2_K: return dequantize_q2_k(in, n, y);
    case Type::Q3_K: return dequantize_q3_k(in, n, y);
    case Type::Q4_K: return dequantize_q4_k(in, n, y);
    case Type::Q5_K: return dequantize_q5_k(in, n, y);
    case Type::Q6_K: return dequantize_q6_k(in, n, y);
  }
}

}  // namespace arecipe::ggml
