#include "schemes/qdq/rounding.h"

#include <ATen/ATen.h>

namespace arecipe::qdq {

// Without autograd the detach/add pair is pure overhead; skip it then. The value is
// identical either way (see header).
at::Tensor round_ste(const at::Tensor& x) {
  if (!x.requires_grad()) return x.round();
  return (x.round() - x).detach() + x;
}

at::Tensor floor_ste(const at::Tensor& x) {
  if (!x.requires_grad()) return x.floor();
  return (x.floor() - x).detach() + x;
}

}  // namespace arecipe::qdq
