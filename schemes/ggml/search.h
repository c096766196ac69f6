// The scale searches llama.cpp's reference quantizers use (gguf-spec.md 8.3), written
// from the spec. Every function evaluates in fp32, left to right, with sequential sums
// and no FMA contraction (this library is compiled with -ffp-contract=off), because the
// goal is byte equality with llama-quantize, not just a good quantizer.
#pragma once
#include <cstdint>

namespace arecipe::ggml {

constexpr float kGroupMaxEps = 1e-15f;

// Round half to even for |v| < 2^22, as ggml's nearest_int (magic-number add).
inline int nearest_int(float v) {
  const float t = v + 12582912.f;
  int32_t i;
  static_assert(sizeof(float) == sizeof(int32_t));
  __builtin_memcpy(&i, &t, 4);
  return (i & 0x007fffff) - 0x00400000;
}

// Symmetric scale search ("qx"), n <= 256. w == nullptr means w = x*x. L receives l + nmax.
float search_qx(int n, int nmax, const float* x, int8_t* L, const float* w);

// Q3_K's symmetric search with coordinate descent ("q3"), w = x*x. L receives l + nmax.
float search_q3(int n, int nmax, const float* x, int8_t* L);

// Asymmetric scale + min search ("qkx2" when x2_default is false: w required, flat test
// max == min; "qkx3" when true: w may be null meaning x*x, flat test max <= min).
// Returns the scale; *the_min receives -min (>= 0). Laux is scratch of n.
float search_qkx(int n, int nmax, const float* x, const float* w, uint8_t* L, float* the_min, uint8_t* Laux,
                 float rmin, float rdelta, int nstep, bool use_mad, bool x2_default);

// Non-negative scale quantization of sub-block scales/mins under importance ("qp").
float search_qp(int n, int nmax, const float* x, uint8_t* L, const float* w);

}  // namespace arecipe::ggml
