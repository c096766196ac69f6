// The one place where LibTorch version differences live. We build against Debian's
// LibTorch 1.13 (CPU) and LibTorch >= 2.7 (CUDA wheels); everything else in the
// tree uses only API common to both.
#pragma once
#include <c10/core/GradMode.h>
#include <torch/version.h>

#define ARECIPE_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace arecipe {
// at::NoGradGuard was an alias that newer LibTorch dropped; c10's exists in both.
using NoGradGuard = c10::NoGradGuard;

// Float8 scalar types exist only from 2.1; safetensors F8 tensors are decoded by
// table lookup instead (engine/model/tensor_convert.cpp), identical on both.
constexpr bool kTorchHasFloat8 = ARECIPE_TORCH_AT_LEAST(2, 1);
}  // namespace arecipe
