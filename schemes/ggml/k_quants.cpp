// The 256-element k-quant super-blocks Q2_K..Q6_K (gguf-spec.md 7, 8.4, 8.5): without
// importance the reference path of llama-quantize, with importance its imatrix path.
// Each super-block is quantized in three steps: per-sub-block scale search, quantization
// of the sub-block scales to 4/6/8 bits under an fp16 super-scale, then requantization
// of the values with the scales exactly as a decoder will see them.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "schemes/ggml/blocks.h"
#include "schemes/ggml/half.h"
#include "schemes/ggml/k_layout.h"
#include "schemes/ggml/search.h"

namespace arecipe::ggml::detail {
namespace {

constexpr int QK = 256;

inline int clampi(int v, int lo, int hi) { return std::max(lo, std::min(hi, v)); }

float sum_squares(const float* x, int n) {
  float s = 0;
  for (int i = 0; i < n; ++i) s += x[i] * x[i];
  return s;
}

// 2-bit planes shared by Q2_K and Q3_K: element 128h + 32s + l in bits 2s of qs[32h + l].
void pack_2bit(const uint8_t* L, uint8_t* qs) {
  for (int j = 0; j < QK; j += 128)
    for (int l = 0; l < 32; ++l)
      qs[j / 4 + l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
}

// Q4_K/Q5_K 6-bit scale and min packing.
void pack_scale_min_k4(const uint8_t* ls, const uint8_t* lm, uint8_t* scales) {
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] = ls[j];
      scales[j + 4] = lm[j];
    } else {
      scales[j + 4] = static_cast<uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      scales[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
      scales[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
    }
  }
}

// Q3_K's 16 biased 6-bit scales in 12 bytes.
void pack_scales_q3(const int* s6, uint8_t* scales) {
  std::memset(scales, 0, 12);
  for (int j = 0; j < 16; ++j) {
    int l = s6[j];
    if (j < 8)
      scales[j] = static_cast<uint8_t>(l & 0xF);
    else
      scales[j - 8] |= static_cast<uint8_t>((l & 0xF) << 4);
    l >>= 4;
    scales[j % 4 + 8] |= static_cast<uint8_t>(l << (2 * (j / 4)));
  }
}

// ---- Q2_K: scales[16] qs[64] d dmin ----
void q2_block(const float* x, const float* qw, uint8_t* y) {
  uint8_t L[QK], Laux[16];
  float scales[16], mins[16], weight[16];
  uint8_t* sc = y;
  uint8_t* qs = y + 16;
  if (!qw) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weight[l] = std::fabs(x[16 * j + l]);
      scales[j] = search_qkx(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true, false);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    const float q4scale = 15.f;
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(nearest_int(iscale * scales[j]));
      put_f16(y + 80, max_scale / q4scale);
    } else {
      for (int j = 0; j < 16; ++j) sc[j] = 0;
      put_f16(y + 80, 0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < 16; ++j) sc[j] |= static_cast<uint8_t>(nearest_int(iscale * mins[j]) << 4);
      put_f16(y + 82, max_min / q4scale);
    } else {
      put_f16(y + 82, 0.f);
    }
  } else {
    float sw[16];
    uint8_t Ls[16], Lm[16];
    const float sigma2 = sum_squares(x, QK) / QK;
    for (int j = 0; j < 16; ++j) {
      float sumw = 0;
      for (int l = 0; l < 16; ++l) weight[l] = qw[16 * j + l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
      for (int l = 0; l < 16; ++l) sumw += weight[l];
      sw[j] = sumw;
      scales[j] = search_qkx(16, 3, x + 16 * j, weight, L + 16 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false, true);
    }
    const float dm = search_qp(16, 15, scales, Ls, sw);
    const float mm = search_qp(16, 15, mins, Lm, sw);
    put_f16(y + 80, dm);
    put_f16(y + 82, mm);
    for (int j = 0; j < 16; ++j) sc[j] = static_cast<uint8_t>(Ls[j] | (Lm[j] << 4));
  }
  const float d = get_f16(y + 80), dmin = get_f16(y + 82);
  for (int j = 0; j < 16; ++j) {
    const float dd = d * (sc[j] & 0xF);
    if (!dd) continue;
    const float dm = dmin * (sc[j] >> 4);
    for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<uint8_t>(clampi(nearest_int((x[16 * j + ii] + dm) / dd), 0, 3));
  }
  pack_2bit(L, qs);
}

// ---- Q3_K: hmask[32] qs[64] scales[12] d ----
void q3_block(const float* x, const float* qw, uint8_t* y) {
  int8_t L[QK];
  float scales[16];
  uint8_t* hmask = y;
  uint8_t* qs = y + 32;
  uint8_t* sc = y + 96;
  int s6[16];
  if (!qw) {
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = search_q3(16, 4, x + 16 * j, L + 16 * j);
      const float a = std::fabs(scales[j]);
      if (a > amax) {
        amax = a;
        max_scale = scales[j];
      }
    }
    if (max_scale) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) s6[j] = clampi(nearest_int(iscale * scales[j]), -32, 31) + 32;
      pack_scales_q3(s6, sc);
      put_f16(y + 108, 1 / iscale);
    } else {
      std::memset(sc, 0, 12);
      put_f16(y + 108, 0.f);
    }
  } else {
    float weight[16], sw[16];
    int8_t Ls[16];
    const float sigma2 = 2 * sum_squares(x, QK) / QK;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weight[l] = qw[16 * j + l] * std::sqrt(sigma2 + x[16 * j + l] * x[16 * j + l]);
      float sumw = 0;
      for (int l = 0; l < 16; ++l) sumw += weight[l];
      sw[j] = sumw;
      scales[j] = search_qx(16, 4, x + 16 * j, L + 16 * j, weight);
    }
    const float d_block = search_qx(16, 32, scales, Ls, sw);
    for (int j = 0; j < 16; ++j) s6[j] = Ls[j];
    pack_scales_q3(s6, sc);
    put_f16(y + 108, d_block);
  }
  const float d = get_f16(y + 108);
  for (int j = 0; j < 16; ++j) {
    const float dd = d * scale_q3(sc, j);
    if (!dd) continue;
    for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<int8_t>(clampi(nearest_int(x[16 * j + ii] / dd), -4, 3) + 4);
  }
  std::memset(hmask, 0, 32);
  uint8_t low[QK];
  for (int i = 0; i < QK; ++i) {
    int q = L[i];
    if (q > 3) {
      hmask[i % 32] |= static_cast<uint8_t>(1u << (i / 32));
      q -= 4;
    }
    low[i] = static_cast<uint8_t>(q);
  }
  pack_2bit(low, qs);
}

// ---- Q4_K / Q5_K: d dmin scales[12] [qh[32]] qs[128] ----
void q45_block(const float* x, const float* qw, uint8_t* y, bool five) {
  const int nmax = five ? 31 : 15;
  uint8_t L[QK], Laux[32], ls[8], lm[8];
  float scales[8], mins[8], weights[32];
  uint8_t* sc = y + 4;
  if (!qw) {
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
      const float av_x = std::sqrt(sum_squares(x + 32 * j, 32) / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
      scales[j] = five ? search_qkx(32, 31, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.5f, 0.1f, 15, false, false)
                       : search_qkx(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20, false, false);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    for (int j = 0; j < 8; ++j) {
      // Narrowed to 8 bits before the clamp, as upstream does (matters only for a
      // negative scale, which then saturates to 63).
      ls[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_scale * scales[j])));
      lm[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_int(inv_min * mins[j])));
    }
    put_f16(y, max_scale / 63.f);
    put_f16(y + 2, max_min / 63.f);
  } else {
    float sw[8];
    const float sigma2 = 2 * sum_squares(x, QK) / QK;
    for (int j = 0; j < 8; ++j) {
      for (int l = 0; l < 32; ++l) weights[l] = qw[32 * j + l] * std::sqrt(sigma2 + x[32 * j + l] * x[32 * j + l]);
      float sumw = 0;
      for (int l = 0; l < 32; ++l) sumw += weights[l];
      sw[j] = sumw;
      scales[j] = search_qkx(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -0.9f, 0.05f, 36, false, true);
    }
    const float d_block = search_qp(8, 63, scales, ls, sw);
    const float m_block = search_qp(8, 63, mins, lm, sw);
    put_f16(y, d_block);
    put_f16(y + 2, m_block);
  }
  pack_scale_min_k4(ls, lm, sc);
  const float d = get_f16(y), dmin = get_f16(y + 2);
  for (int j = 0; j < 8; ++j) {
    uint8_t s, m;
    get_scale_min_k4(j, sc, &s, &m);
    const float dd = d * s;
    if (!dd) continue;
    const float dm = dmin * m;
    for (int ii = 0; ii < 32; ++ii)
      L[32 * j + ii] = static_cast<uint8_t>(clampi(nearest_int((x[32 * j + ii] + dm) / dd), 0, nmax));
  }
  uint8_t* qs = y + (five ? 48 : 16);
  if (five) {
    uint8_t* qh = y + 16;
    std::memset(qh, 0, 32);
    for (int i = 0; i < QK; ++i)
      if (L[i] > 15) qh[i % 32] |= static_cast<uint8_t>(1u << (i / 32));
  }
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l)
      qs[32 * c + l] = static_cast<uint8_t>((L[64 * c + l] & 0xF) | ((L[64 * c + 32 + l] & 0xF) << 4));
}

// ---- Q6_K: ql[128] qh[64] scales[16] d ----
void q6_block(const float* x, const float* qw, uint8_t* y) {
  int8_t L[QK];
  float scales[16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < 16; ++ib) {
    scales[ib] = search_qx(16, 32, x + 16 * ib, L + 16 * ib, qw ? qw + 16 * ib : nullptr);
    const float a = std::fabs(scales[ib]);
    if (a > max_abs_scale) {
      max_abs_scale = a;
      max_scale = scales[ib];
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(y, 0, 210);
    return;
  }
  const float iscale = -128.f / max_scale;
  put_f16(y + 208, 1 / iscale);
  int8_t* sc = reinterpret_cast<int8_t*>(y + 192);
  for (int ib = 0; ib < 16; ++ib) sc[ib] = static_cast<int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
  const float d = get_f16(y + 208);
  for (int j = 0; j < 16; ++j) {
    const float dd = d * sc[j];
    if (!dd) continue;
    for (int ii = 0; ii < 16; ++ii) L[16 * j + ii] = static_cast<int8_t>(clampi(nearest_int(x[16 * j + ii] / dd), -32, 31) + 32);
  }
  uint8_t* ql = y;
  uint8_t* qh = y + 128;
  for (int h = 0; h < 2; ++h) {
    const int8_t* Lh = L + 128 * h;
    for (int l = 0; l < 32; ++l) {
      ql[64 * h + l] = static_cast<uint8_t>((Lh[l] & 0xF) | ((Lh[l + 64] & 0xF) << 4));
      ql[64 * h + 32 + l] = static_cast<uint8_t>((Lh[l + 32] & 0xF) | ((Lh[l + 96] & 0xF) << 4));
      qh[32 * h + l] = static_cast<uint8_t>((Lh[l] >> 4) | ((Lh[l + 32] >> 4) << 2) | ((Lh[l + 64] >> 4) << 4) | ((Lh[l + 96] >> 4) << 6));
    }
  }
}

template <typename F>
void each_block(const float* x, int64_t n, const float* imp, uint8_t* out, size_t bsz, F f) {
  for (int64_t b = 0; b < n / QK; ++b) f(x + b * QK, imp ? imp + b * QK : nullptr, out + b * bsz);
}

}  // namespace

void quantize_q2_k(const float* x, int64_t n, const float* imp, uint8_t* out) { each_block(x, n, imp, out, 84, q2_block); }
void quantize_q3_k(const float* x, int64_t n, const float* imp, uint8_t* out) { each_block(x, n, imp, out, 110, q3_block); }
void quantize_q4_k(const float* x, int64_t n, const float* imp, uint8_t* out) {
  each_block(x, n, imp, out, 144, [](const float* xb, const float* w, uint8_t* y) { q45_block(xb, w, y, false); });
}
void quantize_q5_k(const float* x, int64_t n, const float* imp, uint8_t* out) {
  each_block(x, n, imp, out, 176, [](const float* xb, const float* w, uint8_t* y) { q45_block(xb, w, y, true); });
}
void quantize_q6_k(const float* x, int64_t n, const float* imp, uint8_t* out) { each_block(x, n, imp, out, 210, q6_block); }

void dequantize_q2_k(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / QK; ++b, in += 84, y += QK) {
    const float d = get_f16(in + 80), dmin = get_f16(in + 82);
    for (int i = 0; i < QK; ++i) {
      const uint8_t s = in[i / 16];
      y[i] = d * (s & 0xF) * unpack_2bit(in + 16, i) - dmin * (s >> 4);
    }
  }
}
void dequantize_q3_k(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / QK; ++b, in += 110, y += QK) {
    const float d = get_f16(in + 108);
    for (int i = 0; i < QK; ++i) {
      const int hi = (in[i % 32] >> (i / 32)) & 1;
      const int q = unpack_2bit(in + 32, i) + 4 * hi - 4;
      y[i] = d * scale_q3(in + 96, i / 16) * q;
    }
  }
}
static void dequantize_q45(const uint8_t* in, int64_t n, float* y, bool five) {
  const size_t bsz = five ? 176 : 144;
  for (int64_t b = 0; b < n / QK; ++b, in += bsz, y += QK) {
    const float d = get_f16(in), dmin = get_f16(in + 2);
    const uint8_t* qs = in + (five ? 48 : 16);
    for (int i = 0; i < QK; ++i) {
      uint8_t s, m;
      get_scale_min_k4(i / 32, in + 4, &s, &m);
      const int c = i / 64, within = i % 64;
      int q = within < 32 ? qs[32 * c + within] & 0xF : qs[32 * c + within - 32] >> 4;
      if (five) q |= ((in[16 + i % 32] >> (i / 32)) & 1) << 4;
      y[i] = d * s * q - dmin * m;
    }
  }
}
void dequantize_q4_k(const uint8_t* in, int64_t n, float* y) { dequantize_q45(in, n, y, false); }
void dequantize_q5_k(const uint8_t* in, int64_t n, float* y) { dequantize_q45(in, n, y, true); }
void dequantize_q6_k(const uint8_t* in, int64_t n, float* y) {
  for (int64_t b = 0; b < n / QK; ++b, in += 210, y += QK) {
    const float d = get_f16(in + 208);
    const int8_t* sc = reinterpret_cast<const int8_t*>(in + 192);
    for (int i = 0; i < QK; ++i) {
      const int h = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
      const uint8_t qlb = in[64 * h + (quarter & 1) * 32 + l];
      const int lo = quarter < 2 ? qlb & 0xF : qlb >> 4;
      const int hi = (in[128 + 32 * h + l] >> (2 * quarter)) & 3;
      y[i] = d * sc[i / 16] * ((lo | (hi << 4)) - 32);
    }
  }
}

}  // namespace arecipe::ggml::detail
