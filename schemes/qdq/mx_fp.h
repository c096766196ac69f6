// MX (OCP microscaling) fake-quant, as auto-round's data_type/mxfp.py quant_mx: a
// power-of-two scale shared by each block of 32 inputs (E8M0, "floor" rule) and
// elements on the FP4 e2m1 / FP8 e4m3 grid with round-half-to-even mantissas.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

namespace arecipe::qdq {

struct MxFormat {
  int ebits, mbits, emax;  // mbits counts sign and implicit bit, as upstream
  double max_norm;
};
// "mx_fp4" (e2m1), "mx_fp8" (e4m3), "mx_fp6" (e2m3), "mx_fp6e3m2", "mx_fp8e5m2".
MxFormat mx_format(const std::string& name);

struct MxQdq {
  at::Tensor qdq;         // input shape and dtype
  at::Tensor shared_exp;  // fp32 [N, K/group]: scale = 2^shared_exp; E8M0 byte = +127
};

// v: rounding offsets (grouped shape) and max_scale: per-group β, both optional
// (undefined = RTN, as upstream's unwrapper with value 0 and max_scale 1).
MxQdq qdq_mx(const at::Tensor& w, const MxFormat& fmt, int64_t group_size = 32,
             const at::Tensor& v = {}, const at::Tensor& max_scale = {});

// Element rounding onto the MX element grid (upstream quant_element, "even").
at::Tensor mx_quant_element(const at::Tensor& x, const MxFormat& fmt);

}  // namespace arecipe::qdq
