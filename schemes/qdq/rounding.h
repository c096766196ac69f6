// Straight-through rounding, as auto-round writes it (data_type/utils.py): the forward
// value is exactly round/floor(x) (the difference r - x is exact in floating point, so
// adding x back restores r), the gradient is the identity. Written the same way so the
// SignRound tuner gets upstream's gradients through these functions.
#pragma once
#include <ATen/core/Tensor.h>

namespace arecipe::qdq {

at::Tensor round_ste(const at::Tensor& x);  // torch.round: half to even
at::Tensor floor_ste(const at::Tensor& x);

}  // namespace arecipe::qdq
