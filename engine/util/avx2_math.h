// AVX2 helpers shared by the CPU kernels (engine/model/fused_*.cpp). Each function is
// compiled for AVX2+FMA through a target attribute, so the files that use them need no
// -mavx2 and still run on older CPUs: callers keep a scalar path and pick between the
// two with ARECIPE_PICK_AVX2.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ARECIPE_HAVE_X86_AVX2 1
#define ARECIPE_AVX2_FMA __attribute__((target("avx2,fma")))

namespace arecipe::avx2 {

inline bool has_avx2_fma() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}

// Cephes' expf: exp(x) = 2^n exp(r), x = n ln2 + r, |r| <= ln2 / 2, degree-5 polynomial
// for exp(r) (about 1 ulp). Inputs below ln(FLT_MIN) give 0, which covers -inf; inputs
// above ln(FLT_MAX) saturate at exp(88.376).
ARECIPE_AVX2_FMA inline __m256 exp8(__m256 x) {
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.33654f)), _mm256_set1_ps(88.37626f));
  const __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  const __m256i pow2n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(pow2n)));
}

// Sum of the 8 lanes in a fixed order.
ARECIPE_AVX2_FMA inline float sum8(__m256 v) {
  float l[8];
  _mm256_storeu_ps(l, v);
  return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

}  // namespace arecipe::avx2

#endif

// The AVX2+FMA kernel where this CPU has it, else the scalar one, as a function pointer
// (without x86 AVX2 support in the compiler, `vector` is never named).
#ifdef ARECIPE_HAVE_X86_AVX2
#define ARECIPE_PICK_AVX2(scalar, vector) (::arecipe::avx2::has_avx2_fma() ? &(vector) : &(scalar))
#else
#define ARECIPE_PICK_AVX2(scalar, vector) (&(scalar))
#endif
