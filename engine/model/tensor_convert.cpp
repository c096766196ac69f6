#include "engine/model/tensor_convert.h"

#include <ATen/ATen.h>

#include <array>
#include <cmath>
#include <cstring>

#include "engine/util/error.h"

namespace arecipe {

float f8_e4m3fn_to_float(uint8_t b) {
  // E4M3FN: bias 7, no infinities, S.1111.111 is NaN.
  const int sign = b >> 7, exp = (b >> 3) & 0xf, man = b & 0x7;
  float v;
  if (exp == 0xf && man == 0x7) return std::nanf("");
  if (exp == 0) v = std::ldexp(static_cast<float>(man) / 8.0f, -6);
  else v = std::ldexp(1.0f + static_cast<float>(man) / 8.0f, exp - 7);
  return sign ? -v : v;
}

float f8_e5m2_to_float(uint8_t b) {
  // E5M2: IEEE-like, bias 15, with infinities and NaNs.
  const int sign = b >> 7, exp = (b >> 2) & 0x1f, man = b & 0x3;
  float v;
  if (exp == 0x1f) v = man ? std::nanf("") : INFINITY;
  else if (exp == 0) v = std::ldexp(static_cast<float>(man) / 4.0f, -14);
  else v = std::ldexp(1.0f + static_cast<float>(man) / 4.0f, exp - 15);
  return sign ? -v : v;
}

namespace {

at::Tensor decode_f8(const TensorView& view, float (*decode)(uint8_t)) {
  std::array<float, 256> table;
  for (int i = 0; i < 256; ++i) table[i] = decode(static_cast<uint8_t>(i));
  at::Tensor out = at::empty(view.info->shape, at::kFloat);
  float* dst = out.data_ptr<float>();
  const int64_t n = view.info->numel();
  for (int64_t i = 0; i < n; ++i) dst[i] = table[view.data[i]];
  return out;
}

at::ScalarType scalar_type_of(DType t) {
  switch (t) {
    case DType::F64: return at::kDouble;
    case DType::F32: return at::kFloat;
    case DType::F16: return at::kHalf;
    case DType::BF16: return at::kBFloat16;
    case DType::I8: return at::kChar;
    case DType::U8: return at::kByte;
    case DType::I16: return at::kShort;
    case DType::I32: return at::kInt;
    case DType::I64: return at::kLong;
    case DType::BOOL: return at::kBool;
    default: throw Error(std::string("internal: no direct scalar type for ") + dtype_name(t));
  }
}

}  // namespace

at::Tensor to_tensor(const TensorView& view, at::ScalarType out) {
  const TensorInfo& info = *view.info;
  at::Tensor t;
  if (info.dtype == DType::F8_E4M3) {
    t = decode_f8(view, f8_e4m3fn_to_float);
  } else if (info.dtype == DType::F8_E5M2) {
    t = decode_f8(view, f8_e5m2_to_float);
  } else {
    t = at::empty(info.shape, scalar_type_of(info.dtype));
    if (info.nbytes() > 0) std::memcpy(t.data_ptr(), view.data, info.nbytes());
  }
  return t.scalar_type() == out ? t : t.to(out);
}

}  // namespace arecipe
