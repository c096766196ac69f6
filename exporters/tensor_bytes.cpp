#include "exporters/tensor_bytes.h"

#include <ATen/ATen.h>

#include <cstring>
#include <stdexcept>

namespace arecipe::exporters {
namespace {

DType dtype_of(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return DType::F32;
    case at::kHalf: return DType::F16;
    case at::kBFloat16: return DType::BF16;
    case at::kInt: return DType::I32;
    case at::kLong: return DType::I64;
    case at::kByte: return DType::U8;
    case at::kChar: return DType::I8;
    case at::kBool: return DType::BOOL;
    default: throw std::invalid_argument(std::string("cannot export tensor dtype ") + c10::toString(t));
  }
}

}  // namespace

TensorBytes tensor_bytes(const std::string& name, const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU).contiguous();
  TensorBytes out{name, dtype_of(c.scalar_type()), c.sizes().vec(), {}};
  out.bytes.resize(static_cast<size_t>(c.numel()) * c.element_size());
  if (!out.bytes.empty()) std::memcpy(out.bytes.data(), c.data_ptr(), out.bytes.size());
  return out;
}

}  // namespace arecipe::exporters
