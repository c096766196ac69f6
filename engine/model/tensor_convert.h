// safetensors bytes → at::Tensor. Always copies (mapped bytes may be unaligned and
// must outlive nothing), then converts to the requested scalar type.
#pragma once
#include <ATen/core/Tensor.h>

#include "engine/io/safetensors.h"

namespace arecipe {

at::Tensor to_tensor(const TensorView& view, at::ScalarType out = at::kFloat);

// Float8 decoders (exposed for tests): value of one byte.
float f8_e4m3fn_to_float(uint8_t b);
float f8_e5m2_to_float(uint8_t b);

}  // namespace arecipe
