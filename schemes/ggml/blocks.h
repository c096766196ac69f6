// Per-type row encoders and decoders (internal to arecipe_ggml; codec.h is the API).
// Each quantize function takes one row of n values (n a multiple of the block) and,
// optionally, n per-column importance weights; each writes row_bytes(type, n) bytes.
#pragma once
#include <cstdint>

namespace arecipe::ggml::detail {

void quantize_q4_0(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q4_1(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q5_0(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q5_1(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q8_0(const float* x, int64_t n, uint8_t* out);
void quantize_q2_k(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q3_k(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q4_k(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q5_k(const float* x, int64_t n, const float* imp, uint8_t* out);
void quantize_q6_k(const float* x, int64_t n, const float* imp, uint8_t* out);

void dequantize_q4_0(const uint8_t* in, int64_t n, float* y);
void dequantize_q4_1(const uint8_t* in, int64_t n, float* y);
void dequantize_q5_0(const uint8_t* in, int64_t n, float* y);
void dequantize_q5_1(const uint8_t* in, int64_t n, float* y);
void dequantize_q8_0(const uint8_t* in, int64_t n, float* y);
void dequantize_q2_k(const uint8_t* in, int64_t n, float* y);
void dequantize_q3_k(const uint8_t* in, int64_t n, float* y);
void dequantize_q4_k(const uint8_t* in, int64_t n, float* y);
void dequantize_q5_k(const uint8_t* in, int64_t n, float* y);
void dequantize_q6_k(const uint8_t* in, int64_t n, float* y);

}  // namespace arecipe::ggml::detail
