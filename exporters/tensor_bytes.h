// at::Tensor → the torch-free TensorBytes the safetensors writer takes.
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

#include "engine/io/safetensors_writer.h"

namespace arecipe::exporters {

// Copies `t` (any device, made contiguous) as little-endian bytes. Supported dtypes:
// f32, f16, bf16, i32, i64, u8, i8, bool; anything else throws.
TensorBytes tensor_bytes(const std::string& name, const at::Tensor& t);

}  // namespace arecipe::exporters
