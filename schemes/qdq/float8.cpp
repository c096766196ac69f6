#include "schemes/qdq/float8.h"

#include <ATen/ATen.h>

namespace arecipe::qdq {

at::Tensor round_to_float8_e4m3fn(const at::Tensor& x) {
  at::Tensor a = x.to(at::kFloat).abs();
  // frexp: a = m·2^e with m in [0.5, 1), so floor(log2 a) = e - 1 exactly (log2 can
  // round up just below a power of two).
  at::Tensor exponent = std::get<1>(at::frexp(a)).to(at::kFloat) - 1;
  // e4m3: 3 mantissa bits; below 2^-6 the grid is the subnormal step 2^-9.
  at::Tensor quantum = at::pow(2.0, at::clamp_min(exponent, -6) - 3);
  at::Tensor r = at::round(a / quantum) * quantum;  // round half to even, exact scaling
  return (at::sign(x.to(at::kFloat)) * r).to(x.scalar_type());
}

at::Tensor float8_e4m3fn_ste(const at::Tensor& x) {
  // Upstream's (r - x).detach() + x equals r except for the sign of zero: a negative
  // x that rounds to -0 gives (-0 - x) + x = +0. Adding +0 reproduces exactly that.
  if (!x.requires_grad()) return round_to_float8_e4m3fn(x) + 0.0;
  return (round_to_float8_e4m3fn(x) - x).detach() + x;
}

}  // namespace arecipe::qdq
