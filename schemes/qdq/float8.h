// float8_e4m3fn rounding done in fp32 arithmetic. Debian's LibTorch 1.13 has no float8
// dtype, and upstream's `x.to(torch.float8_e4m3fn).to(x.dtype)` is exactly "round to
// nearest even on the e4m3 grid" for inputs already clamped to ±448, so we emulate it.
#pragma once
#include <ATen/core/Tensor.h>

namespace arecipe::qdq {

constexpr double kFloat8E4M3Max = 448.0;

// |x| must be ≤ 448 (callers clamp first, as upstream does). Returns x's dtype.
at::Tensor round_to_float8_e4m3fn(const at::Tensor& x);

// Straight-through variant for the tuner: forward = round_to_float8_e4m3fn, except
// that zeros come out +0 as upstream's STE arithmetic makes them.
at::Tensor float8_e4m3fn_ste(const at::Tensor& x);

}  // namespace arecipe::qdq
