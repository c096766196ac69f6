// Dequantization of block-scaled FP8 weights (fp8_weights.h) on load.
#pragma once
#include <ATen/core/Tensor.h>

#include "engine/io/tensor_store.h"
#include "engine/model/fp8_weights.h"

namespace arecipe {

// fp8 * scale of each element's block, computed in fp32 (DeepSeek's weight_dequant),
// returned as `type`. Throws Error naming the scale tensor if a scale is not finite
// or negative.
at::Tensor dequantize_fp8(const TensorStore& store, const Fp8Weight& w, at::ScalarType type = at::kFloat);

}  // namespace arecipe
