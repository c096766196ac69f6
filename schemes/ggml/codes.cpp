#include "schemes/ggml/codes.h"

#include <cstring>
#include <string>

#include "engine/util/error.h"
#include "schemes/ggml/half.h"
#include "schemes/ggml/k_layout.h"

namespace arecipe::ggml {
namespace {

using detail::get_scale_min_k4;
using detail::scale_q3;
using detail::unpack_2bit;

// Where one element's stored (unsigned) quant lives in a block, per type: get and set
// of the nibble / 2-bit plane / high bit, exactly mirroring the encoders' packing.
int nibble(const uint8_t* qs, int j) { return j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4; }  // legacy 32-blocks
void set_nibble(uint8_t* qs, int j, int q) {
  if (j < 16) qs[j] = static_cast<uint8_t>((qs[j] & 0xF0) | q);
  else qs[j - 16] = static_cast<uint8_t>((qs[j - 16] & 0x0F) | (q << 4));
}
int bit(const uint8_t* p, int k) { return (p[k / 8] >> (k % 8)) & 1; }  // little-endian bit k
void set_bit(uint8_t* p, int k, int v) { p[k / 8] = static_cast<uint8_t>((p[k / 8] & ~(1 << (k % 8))) | (v << (k % 8))); }

void set_2bit(uint8_t* qs, int i, int q) {
  const int h = i / 128, s = (i % 128) / 32, l = i % 32;
  uint8_t& b = qs[32 * h + l];
  b = static_cast<uint8_t>((b & ~(3 << (2 * s))) | (q << (2 * s)));
}
// Q4_K/Q5_K low nibbles: element 64c + w in qs[32c + w % 32], low half for w < 32.
int k4_nibble(const uint8_t* qs, int i) {
  const int c = i / 64, w = i % 64;
  return w < 32 ? qs[32 * c + w] & 0xF : qs[32 * c + w - 32] >> 4;
}
void set_k4_nibble(uint8_t* qs, int i, int q) {
  const int c = i / 64, w = i % 64;
  if (w < 32) qs[32 * c + w] = static_cast<uint8_t>((qs[32 * c + w] & 0xF0) | q);
  else qs[32 * c + w - 32] = static_cast<uint8_t>((qs[32 * c + w - 32] & 0x0F) | (q << 4));
}
// Q6_K: low nibble in ql, two high bits in qh.
int q6_get(const uint8_t* b, int i) {
  const int h = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
  const uint8_t qlb = b[64 * h + (quarter & 1) * 32 + l];
  const int lo = quarter < 2 ? qlb & 0xF : qlb >> 4;
  return lo | (((b[128 + 32 * h + l] >> (2 * quarter)) & 3) << 4);
}
void q6_set(uint8_t* b, int i, int q) {
  const int h = i / 128, r = i % 128, quarter = r / 32, l = r % 32;
  uint8_t& qlb = b[64 * h + (quarter & 1) * 32 + l];
  qlb = quarter < 2 ? static_cast<uint8_t>((qlb & 0xF0) | (q & 0xF)) : static_cast<uint8_t>((qlb & 0x0F) | ((q & 0xF) << 4));
  uint8_t& qh = b[128 + 32 * h + l];
  qh = static_cast<uint8_t>((qh & ~(3 << (2 * quarter))) | ((q >> 4) << (2 * quarter)));
}

// Per type: block geometry, where the quant of element i is (get/set of the stored
// value), the bias between stored value and code, and the sub-block scale/offset.
struct Codec {
  int64_t elems, bytes, group;
  int bias, lo, hi;
  int (*get)(const uint8_t* b, int i);
  void (*set)(uint8_t* b, int i, int q);
  // Scale/offset of sub-block j, with the decoder's operations: y = scale * code + offset.
  void (*affine)(const uint8_t* b, int j, float* scale, float* offset);
};

const Codec& codec(Type t) {
  static const Codec q4_0{32, 18, 32, 8, -8, 7, [](const uint8_t* b, int i) { return nibble(b + 2, i); },
                          [](uint8_t* b, int i, int q) { set_nibble(b + 2, i, q); },
                          [](const uint8_t* b, int, float* s, float* o) { *s = get_f16(b), *o = 0.f; }};
  static const Codec q4_1{32, 20, 32, 0, 0, 15, [](const uint8_t* b, int i) { return nibble(b + 4, i); },
                          [](uint8_t* b, int i, int q) { set_nibble(b + 4, i, q); },
                          [](const uint8_t* b, int, float* s, float* o) { *s = get_f16(b), *o = get_f16(b + 2); }};
  static const Codec q5_0{32, 22, 32, 16, -16, 15,
                          [](const uint8_t* b, int i) { return nibble(b + 6, i) | (bit(b + 2, i) << 4); },
                          [](uint8_t* b, int i, int q) {
                            set_nibble(b + 6, i, q & 0xF);
                            set_bit(b + 2, i, q >> 4);
                          },
                          [](const uint8_t* b, int, float* s, float* o) { *s = get_f16(b), *o = 0.f; }};
  static const Codec q5_1{32, 24, 32, 0, 0, 31,
                          [](const uint8_t* b, int i) { return nibble(b + 8, i) | (bit(b + 4, i) << 4); },
                          [](uint8_t* b, int i, int q) {
                            set_nibble(b + 8, i, q & 0xF);
                            set_bit(b + 4, i, q >> 4);
                          },
                          [](const uint8_t* b, int, float* s, float* o) { *s = get_f16(b), *o = get_f16(b + 2); }};
  static const Codec q8_0{32, 34, 32, 0, -128, 127, [](const uint8_t* b, int i) { return int(int8_t(b[2 + i])); },
                          [](uint8_t* b, int i, int q) { b[2 + i] = static_cast<uint8_t>(static_cast<int8_t>(q)); },
                          [](const uint8_t* b, int, float* s, float* o) { *s = get_f16(b), *o = 0.f; }};
  static const Codec q2_k{256, 84, 16, 0, 0, 3, [](const uint8_t* b, int i) { return unpack_2bit(b + 16, i); },
                          [](uint8_t* b, int i, int q) { set_2bit(b + 16, i, q); },
                          [](const uint8_t* b, int j, float* s, float* o) {
                            *s = get_f16(b + 80) * (b[j] & 0xF);
                            *o = -(get_f16(b + 82) * (b[j] >> 4));
                          }};
  static const Codec q3_k{256, 110, 16, 4, -4, 3,
                          [](const uint8_t* b, int i) { return unpack_2bit(b + 32, i) | (((b[i % 32] >> (i / 32)) & 1) << 2); },
                          [](uint8_t* b, int i, int q) {
                            set_2bit(b + 32, i, q & 3);
                            b[i % 32] = static_cast<uint8_t>((b[i % 32] & ~(1 << (i / 32))) | ((q >> 2) << (i / 32)));
                          },
                          [](const uint8_t* b, int j, float* s, float* o) { *s = get_f16(b + 108) * scale_q3(b + 96, j), *o = 0.f; }};
  static const Codec q4_k{256, 144, 32, 0, 0, 15, [](const uint8_t* b, int i) { return k4_nibble(b + 16, i); },
                          [](uint8_t* b, int i, int q) { set_k4_nibble(b + 16, i, q); },
                          [](const uint8_t* b, int j, float* s, float* o) {
                            uint8_t sc, m;
                            get_scale_min_k4(j, b + 4, &sc, &m);
                            *s = get_f16(b) * sc;
                            *o = -(get_f16(b + 2) * m);
                          }};
  static const Codec q5_k{256, 176, 32, 0, 0, 31,
                          [](const uint8_t* b, int i) { return k4_nibble(b + 48, i) | (((b[16 + i % 32] >> (i / 32)) & 1) << 4); },
                          [](uint8_t* b, int i, int q) {
                            set_k4_nibble(b + 48, i, q & 0xF);
                            b[16 + i % 32] = static_cast<uint8_t>((b[16 + i % 32] & ~(1 << (i / 32))) | ((q >> 4) << (i / 32)));
                          },
                          [](const uint8_t* b, int j, float* s, float* o) {
                            uint8_t sc, m;
                            get_scale_min_k4(j, b + 4, &sc, &m);
                            *s = get_f16(b) * sc;
                            *o = -(get_f16(b + 2) * m);
                          }};
  static const Codec q6_k{256, 210, 16, 32, -32, 31, q6_get, q6_set, [](const uint8_t* b, int j, float* s, float* o) {
                            *s = get_f16(b + 208) * static_cast<int8_t>(b[192 + j]), *o = 0.f;
                          }};
  switch (t) {
    case Type::Q4_0: return q4_0;
    case Type::Q4_1: return q4_1;
    case Type::Q5_0: return q5_0;
    case Type::Q5_1: return q5_1;
    case Type::Q8_0: return q8_0;
    case Type::Q2_K: return q2_k;
    case Type::Q3_K: return q3_k;
    case Type::Q4_K: return q4_k;
    case Type::Q5_K: return q5_k;
    case Type::Q6_K: return q6_k;
    default: throw Error(std::string("ggml type ") + info(t).name + " has no integer codes");
  }
}

}  // namespace

CodeLayout code_layout(Type t) {
  const Codec& c = codec(t);
  return {c.group, c.lo, c.hi};
}

void decode_codes(Type t, const uint8_t* in, int64_t n, float* scale, float* offset, int8_t* code) {
  const Codec& c = codec(t);
  (void)row_bytes(t, n);
  const int64_t groups = c.elems / c.group;
  for (int64_t b = 0; b < n / c.elems; ++b, in += c.bytes) {
    for (int64_t j = 0; j < groups; ++j) c.affine(in, static_cast<int>(j), scale + b * groups + j, offset + b * groups + j);
    for (int i = 0; i < c.elems; ++i) code[b * c.elems + i] = static_cast<int8_t>(c.get(in, i) - c.bias);
  }
}

void repack_codes(Type t, const uint8_t* in, int64_t n, const int8_t* code, uint8_t* out) {
  const Codec& c = codec(t);
  const size_t total = row_bytes(t, n);
  if (in != out) std::memmove(out, in, total);
  for (int64_t i = 0; i < n; ++i)
    if (code[i] < c.lo || code[i] > c.hi)
      throw Error(std::string("repack_codes: code ") + std::to_string(code[i]) + " outside " + info(t).name + "'s range");
  for (int64_t b = 0; b < n / c.elems; ++b, out += c.bytes)
    for (int i = 0; i < c.elems; ++i) c.set(out, i, code[b * c.elems + i] + c.bias);
}

}  // namespace arecipe::ggml
