// The 32-element "legacy" types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (gguf-spec.md 7, 8.2, 8.5).
// Without importance they use llama.cpp's reference rounding (truncation of x+0.5 and
// C roundf for Q8_0, not round-half-even); with importance, the qx / qkx3 searches with
// w = a * sqrt(sigma2 + x^2), sigma2 taken over the whole row.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "schemes/ggml/blocks.h"
#include "schemes/ggml/half.h"
#include "schemes/ggml/search.h"

namespace arecipe::ggml::detail {
namespace {

constexpr int kQK = 32;


// sigma2 of the imatrix paths: mean square over the whole row, sequential sum.
float row_sigma2(const float* x, int64_t n) {
  float s = 0;
  for (int64_t j = 0; j < n; ++j) s += x[j] * x[j];
  return s / n;
}

void importance(const float* xb, const float* qw, float sigma2, float* w) {
  for (int j = 0; j < kQK; ++j) w[j] = qw[j] * std::sqrt(sigma2 + xb[j] * xb[j]);
}

// Packs 32 quants (< 16 or < 32) as qs[16] nibbles (+ qh bits for 5-bit types).
void pack_nibbles(const int* q, uint8_t* qs) {
  for (int j = 0; j < kQK / 2; ++j) qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
}
void pack_high_bits(const int* q, uint8_t* qh4) {
  uint32_t qh = 0;
  for (int j = 0; j < kQK; ++j) qh |= static_cast<uint32_t>((q[j] & 0x10) >> 4) << j;
  std::memcpy(qh4, &qh, 4);  // little-endian host (checked at build time in codec.cpp)
}

// Symmetric 32-blocks: Q4_0 (nq = 16 levels... half = 8) and Q5_0 (half = 16).
void quantize_sym(const float* x, int64_t n, const float* imp, uint8_t* out, int half, bool five_bit) {
  const size_t bsz = five_bit ? 22 : 18;
  const float sigma2 = imp ? row_sigma2(x, n) : 0.f;
  for (int64_t b = 0; b < n / kQK; ++b, out += bsz) {
    const float* xb = x + b * kQK;
    int q[kQK];
    float d;
    if (imp) {
      float w[kQK];
      int8_t L[kQK];
      importance(xb, imp + b * kQK, sigma2, w);
      d = search_qx(kQK, half, xb, L, w);
      for (int j = 0; j < kQK; ++j) q[j] = L[j];
    } else {
      float amax = 0, max = 0;
      for (int j = 0; j < kQK; ++j)
        if (amax < std::fabs(xb[j])) {
          amax = std::fabs(xb[j]);
          max = xb[j];
        }
      d = max / -half;
      const float id = d ? 1.0f / d : 0.0f;
      const int top = 2 * half - 1;
      for (int j = 0; j < kQK; ++j)
        q[j] = std::min(top, static_cast<int>(static_cast<int8_t>(xb[j] * id + (half + 0.5f))));
    }
    put_f16(out, d);
    if (five_bit) {
      pack_high_bits(q, out + 2);
      pack_nibbles(q, out + 6);
    } else {
      pack_nibbles(q, out + 2);
    }
  }
}

// Asymmetric 32-blocks: Q4_1 (nmax 15) and Q5_1 (nmax 31).
void quantize_asym(const float* x, int64_t n, const float* imp, uint8_t* out, int nmax, bool five_bit) {
  const size_t bsz = five_bit ? 24 : 20;
  const float sigma2 = imp ? row_sigma2(x, n) : 0.f;
  for (int64_t b = 0; b < n / kQK; ++b, out += bsz) {
    const float* xb = x + b * kQK;
    int q[kQK];
    float d, m;
    if (imp) {
      float w[kQK];
      uint8_t L[kQK], Laux[kQK];
      importance(xb, imp + b * kQK, sigma2, w);
      float min;
      d = search_qkx(kQK, nmax, xb, w, L, &min, Laux, -0.9f, 0.05f, 36, false, true);
      m = -min;
      for (int j = 0; j < kQK; ++j) q[j] = L[j];
    } else {
      float min = FLT_MAX, max = -FLT_MAX;
      for (int j = 0; j < kQK; ++j) {
        if (xb[j] < min) min = xb[j];
        if (xb[j] > max) max = xb[j];
      }
      d = (max - min) / nmax;
      const float id = d ? 1.0f / d : 0.0f;
      m = min;
      for (int j = 0; j < kQK; ++j) {
        const int v = static_cast<int8_t>((xb[j] - min) * id + 0.5f);
        q[j] = five_bit ? v : std::min(15, v);  // Q5_1's reference does not clamp
      }
    }
    put_f16(out, d);
    put_f16(out + 2, m);
    if (five_bit) {
      pack_high_bits(q, out + 4);
      pack_nibbles(q, out + 8);
    } else {
      pack_nibbles(q, out + 4);
    }
  }
}

void unpack(const uint8_t* qs, const uint8_t* qh4, int* q) {
  uint32_t qh = 0;
  if (qh4) std::memcpy(&qh, qh4, 4);
  for (int j = 0; j < kQK / 2; ++j) {
    q[j] = qs[j] & 0xF;
    q[j + 16] = qs[j] >> 4;
    if (qh4) {
      q[j] |= static_cast<int>((qh >> j) & 1u) << 4;
      q[j + 16] |= static_cast<int>((qh >> (j + 16)) & 1u) << 4;
    }
  }
}

}  // namespace

void quantize_q4_0(const float* x, int64_t n, const float* imp, uint8_t* out) { quantize_sym(x, n, imp, out, 8, false); }
void quantize_q5_0(const float* x, int64_t n, const float* imp, uint8_t* out) { quantize_sym(x, n, imp, out, 16, true); }
void quantize_q4_1(const float* x, int64_t n, const float* imp, uint8_t* out) { quantize_asym(x, n, imp, out, 15, false); }
void quantize_q5_1(const float* x, int64_t n, const float* imp, uint8_t* out) { quantize_asym(x, n, imp, out, 31, true); }

void quantize_q8_0(const float* x, int64_t n, uint8_t* out) {
  for (int64_t b = 0; b < n / kQK; ++b, out += 34) {
    const float* xb = x + b * kQK;
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    put_f16(out, d);
    for (int j = 0; j < kQK; ++j) out[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::roundf(xb[j] * id)));
  }
}

void dequantize_q4_0(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / kQK; ++b, in += 18, y += kQK) {
    const float d = get_f16(in);
    int q[kQK];
    unpack(in + 2, nullptr, q);
    for (int j = 0; j < kQK; ++j) y[j] = (q[j] - 8) * d;
  }
}
void dequantize_q4_1(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / kQK; ++b, in += 20, y += kQK) {
    const float d = get_f16(in), m = get_f16(in + 2);
    int q[kQK];
    unpack(in + 4, nullptr, q);
    for (int j = 0; j < kQK; ++j) y[j] = q[j] * d + m;
  }
}
void dequantize_q5_0(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / kQK; ++b, in += 22, y += kQK) {
    const float d = get_f16(in);
    int q[kQK];
    unpack(in + 6, in + 2, q);
    for (int j = 0; j < kQK; ++j) y[j] = (q[j] - 16) * d;
  }
}
void dequantize_q5_1(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / kQK; ++b, in += 24, y += kQK) {
    const float d = get_f16(in), m = get_f16(in + 2);
    int q[kQK];
    unpack(in + 8, in + 4, q);
    for (int j = 0; j < kQK; ++j) y[j] = q[j] * d + m;
  }
}
void dequantize_q8_0(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / kQK; ++b, in += 34, y += kQK) {
    const float d = get_f16(in);
    for (int j = 0; j < kQK; ++j) y[j] = static_cast<int8_t>(in[2 + j]) * d;
  }
}

}  // namespace arecipe::ggml::detail
