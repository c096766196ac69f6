#include "schemes/bits.h"

#include <string>

namespace arecipe::schemes {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t group_count(const Scheme& s, int64_t out, int64_t in) {
  if (s.group_rows > 0) return ceil_div(out, s.group_rows) * ceil_div(in, s.group_size);
  if (s.group_size > 0) return out * ceil_div(in, s.group_size);
  if (s.group_size == kPerTensor) return 1;
  return out;  // per channel
}

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }
}  // namespace

LayerBits layer_bits(const Scheme& s, int64_t out, int64_t in) {
  LayerBits b;
  b.params = out * in;
  b.weight_bits = static_cast<double>(s.bits) * b.params;
  if (s.is_unquantized()) {
    b.total_bits = b.weight_bits;
    return b;
  }
  const int64_t groups = group_count(s, out, in);
  double aux = 0;
  if (s.is_gguf_k()) {
    aux = static_cast<double>(groups) * s.super_bits * 2 +
          static_cast<double>(ceil_div(groups, s.super_group_size)) * 64;
  } else {
    const std::string& dt = s.data_type;
    const int scale_bits = contains(dt, "mx_fp") || contains(dt, "nv_fp") || contains(dt, "fp4") ? 8 : 16;
    const int zp_bits = (!s.sym || contains(dt, "int")) ? s.bits : 0;
    aux = static_cast<double>(groups) * (scale_bits + zp_bits);
  }
  b.total_bits = b.weight_bits + aux;
  return b;
}

double nominal_bits_per_weight(const Scheme& s) {
  // 2^14 x 2^14 is a multiple of every group and super-block size in use.
  return layer_bits(s, 16384, 16384).bits_per_weight();
}

}  // namespace arecipe::schemes
