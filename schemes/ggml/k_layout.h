// Bit layouts shared by the k-quant encoders/decoders (k_quants.cpp) and the code
// view (codes.cpp): where a super-block keeps an element's 2-bit plane and its
// sub-block scales (gguf-spec.md section 7). Internal to arecipe_ggml.
#pragma once
#include <cstdint>

namespace arecipe::ggml::detail {

// 2-bit planes of Q2_K and Q3_K: element 128h + 32s + l in bits 2s of qs[32h + l].
inline int unpack_2bit(const uint8_t* qs, int i) {
  const int h = i / 128, s = (i % 128) / 32, l = i % 32;
  return (qs[32 * h + l] >> (2 * s)) & 3;
}

// Q4_K/Q5_K: the 6-bit scale and min of sub-block j from the 12 packed bytes.
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Q3_K: the signed 6-bit scale of sub-block j (stored biased by 32 in 12 bytes).
inline int scale_q3(const uint8_t* scales, int j) {
  const int lo = j < 8 ? scales[j] & 0xF : scales[j - 8] >> 4;
  return (lo | (((scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
}

}  // namespace arecipe::ggml::detail
