// Element types of tensors on disk (safetensors names). Torch-free so that the I/O
// layer and its fuzz targets build without LibTorch.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace arecipe {

enum class DType { F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I8, U8, I16, I32, I64, BOOL };

size_t dtype_size(DType t);
const char* dtype_name(DType t);                         // "F32", "BF16", ...
std::optional<DType> dtype_from_name(const std::string& s);  // nullopt if unknown

}  // namespace arecipe
