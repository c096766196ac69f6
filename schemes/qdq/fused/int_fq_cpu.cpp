// CPU kernels for the fused int fake-quant (see int_fq_kernels.h for the math).
//
// Bit-exactness with the ATen chain rests on doing the same IEEE operations in the
// same order per element: t/a, +v, round-half-even, clamp, *b. This file is compiled
// with -ffp-contract=off (schemes/qdq/CMakeLists.txt) so no multiply-add is fused.
// The AVX2 loops are chosen at run time; the scalar loops are the portable path and
// mirror the vector lanes, so per-group sums come out bit-identical on both.
// Every group (row) is handled by one thread start to end, so results do not depend
// on the number of threads.
#include "schemes/qdq/fused/int_fq_kernels.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ARECIPE_FQ_X86 1
#endif

namespace arecipe::qdq::fused {
namespace {

std::atomic<bool> g_force_scalar{false};

constexpr int kLanes = 8;  // AVX2 width; the scalar path keeps the same lane layout

// Rows per parallel task: enough elements that the fork cost is amortised.
int64_t grain_rows(int64_t g) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(g, 1)); }

bool use_avx2() {
#ifdef ARECIPE_FQ_X86
  static const bool has = __builtin_cpu_supports("avx2");
  return has && !g_force_scalar.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

// Same result as at::clamp with scalar bounds, NaN included (std::max/min return
// their first argument when the comparison involves NaN).
// round_ste's value: adding +0 turns -0 into +0 and changes nothing else.
inline float round_as(float x, bool ste) {
  const float r = std::nearbyint(x);
  return ste ? r + 0.f : r;
}

inline float clamp_to(float x, float lo, float hi) { return std::min(std::max(x, lo), hi); }

// Fixed-order sum of the 8 lane accumulators.
inline float lane_sum(const float* l) { return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])); }

struct FwdArgs {
  const float *t, *v, *a, *b, *z;
  float* out;
  int64_t g;
  IntGrid grid;
};

template <bool kSym, bool kHasV>
inline float fwd_elem(float t, float v, float a, float b, float z, float lo, float hi, bool ste) {
  float x = t / a;
  if (kHasV) x = x + v;
  const float r = round_as(x, ste);
  if (kSym) return clamp_to(r, lo, hi) * b;
  return b * (clamp_to(r + z, lo, hi) - z);
}

template <bool kSym, bool kHasV>
void fwd_rows_scalar(const FwdArgs& p, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* t = p.t + r * p.g;
    const float* v = kHasV ? p.v + r * p.g : nullptr;
    float* o = p.out + r * p.g;
    const float a = p.a[r], b = p.b[r], z = kSym ? 0.f : p.z[r];
    for (int64_t i = 0; i < p.g; ++i)
      o[i] = fwd_elem<kSym, kHasV>(t[i], kHasV ? v[i] : 0.f, a, b, z, p.grid.lo, p.grid.hi, p.grid.ste);
  }
}

struct BwdArgs {
  const float *go, *t, *v, *a, *b, *z;
  float *gt, *gv, *ga, *gb, *gz;  // null when not wanted
  int64_t g;
  IntGrid grid;
};

// One element's contributions, written exactly as autograd evaluates upstream's
// formula: clamp passes the gradient strictly inside (lo, hi), or on [lo, hi] with
// grad_at_bounds (see IntGrid); round_ste passes it unchanged; t/a gives -g*((t/a)/a)
// to a; the final product gives g*q (sym) or g*(q-z) (asym) to b; asym's zp gets the
// masked gradient from "+ zp" and the unmasked -g*b from "- zp".
struct ElemGrad {
  float gx, da, db, dz_in, dz_out;
};

inline bool passes(float c, float lo, float hi, bool at_bounds) {
  return at_bounds ? (c >= lo && c <= hi) : (c > lo && c < hi);
}

template <bool kSym, bool kHasV>
inline ElemGrad bwd_elem(float go, float t, float v, float a, float b, float z, float lo, float hi, bool ste,
                         bool at_bounds) {
  const float d = t / a;
  const float x = kHasV ? d + v : d;
  const float r = round_as(x, ste);
  const float gb = go * b;
  if (kSym) {
    const float gx = passes(r, lo, hi, at_bounds) ? gb : 0.f;
    return {gx, (-gx) * (d / a), go * clamp_to(r, lo, hi), 0.f, 0.f};
  }
  const float y = r + z;
  const float gx = passes(y, lo, hi, at_bounds) ? gb : 0.f;
  return {gx, (-gx) * (d / a), go * (clamp_to(y, lo, hi) - z), gx, -gb};
}

struct GroupSums {
  float a, b, z_in, z_out;
};

template <bool kSym, bool kHasV>
inline void bwd_tail(const BwdArgs& p, int64_t r, int64_t i0, GroupSums& s) {
  const int64_t base = r * p.g;
  const float a = p.a[r], b = p.b[r], z = kSym ? 0.f : p.z[r];
  for (int64_t i = i0; i < p.g; ++i) {
    const ElemGrad e = bwd_elem<kSym, kHasV>(p.go[base + i], p.t[base + i], kHasV ? p.v[base + i] : 0.f, a, b, z,
                                             p.grid.lo, p.grid.hi, p.grid.ste, p.grid.grad_at_bounds);
    if (p.gv) p.gv[base + i] = e.gx;
    if (p.gt) p.gt[base + i] = e.gx / a;
    s.a += e.da;
    s.b += e.db;
    s.z_in += e.dz_in;
    s.z_out += e.dz_out;
  }
}

inline void store_sums(const BwdArgs& p, int64_t r, const GroupSums& s) {
  if (p.ga) p.ga[r] = s.a;
  if (p.gb) p.gb[r] = s.b;
  // Autograd adds the two zp contributions after reducing each one.
  if (p.gz) p.gz[r] = s.z_in + s.z_out;
}

template <bool kSym, bool kHasV>
void bwd_rows_scalar(const BwdArgs& p, int64_t r0, int64_t r1) {
  const int64_t full = p.g / kLanes * kLanes;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t base = r * p.g;
    const float a = p.a[r], b = p.b[r], z = kSym ? 0.f : p.z[r];
    float la[kLanes] = {}, lb[kLanes] = {}, lzi[kLanes] = {}, lzo[kLanes] = {};
    for (int64_t i = 0; i < full; i += kLanes) {
      for (int l = 0; l < kLanes; ++l) {
        const int64_t k = base + i + l;
        const ElemGrad e =
            bwd_elem<kSym, kHasV>(p.go[k], p.t[k], kHasV ? p.v[k] : 0.f, a, b, z, p.grid.lo, p.grid.hi,
                                  p.grid.ste, p.grid.grad_at_bounds);
        if (p.gv) p.gv[k] = e.gx;
        if (p.gt) p.gt[k] = e.gx / a;
        la[l] += e.da;
        lb[l] += e.db;
        lzi[l] += e.dz_in;
        lzo[l] += e.dz_out;
      }
    }
    GroupSums s{lane_sum(la), lane_sum(lb), lane_sum(lzi), lane_sum(lzo)};
    bwd_tail<kSym, kHasV>(p, r, full, s);
    store_sums(p, r, s);
  }
}

#ifdef ARECIPE_FQ_X86
// Only "avx2" (no "fma"): the compiler then cannot contract mul+add into FMA.
#define ARECIPE_AVX2 __attribute__((target("avx2")))

ARECIPE_AVX2 inline __m256 clamp8(__m256 x, __m256 lo, __m256 hi) {
  // Operand order keeps NaN (max/min return the second operand on NaN).
  return _mm256_min_ps(hi, _mm256_max_ps(lo, x));
}
ARECIPE_AVX2 inline __m256 round8(__m256 x, bool ste) {
  const __m256 r = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  return ste ? _mm256_add_ps(r, _mm256_setzero_ps()) : r;
}
ARECIPE_AVX2 inline void store_lanes(__m256 v, float* l) { _mm256_storeu_ps(l, v); }

template <bool kSym, bool kHasV>
ARECIPE_AVX2 void fwd_rows_avx2(const FwdArgs& p, int64_t r0, int64_t r1) {
  const __m256 lo = _mm256_set1_ps(p.grid.lo), hi = _mm256_set1_ps(p.grid.hi);
  const int64_t full = p.g / kLanes * kLanes;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t base = r * p.g;
    const float a = p.a[r], b = p.b[r], z = kSym ? 0.f : p.z[r];
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), vz = _mm256_set1_ps(z);
    for (int64_t i = 0; i < full; i += kLanes) {
      __m256 x = _mm256_div_ps(_mm256_loadu_ps(p.t + base + i), va);
      if (kHasV) x = _mm256_add_ps(x, _mm256_loadu_ps(p.v + base + i));
      const __m256 rr = round8(x, p.grid.ste);
      __m256 o;
      if (kSym) {
        o = _mm256_mul_ps(clamp8(rr, lo, hi), vb);
      } else {
        o = _mm256_mul_ps(vb, _mm256_sub_ps(clamp8(_mm256_add_ps(rr, vz), lo, hi), vz));
      }
      _mm256_storeu_ps(p.out + base + i, o);
    }
    for (int64_t i = full; i < p.g; ++i)
      p.out[base + i] = fwd_elem<kSym, kHasV>(p.t[base + i], kHasV ? p.v[base + i] : 0.f, a, b, z, p.grid.lo,
                                              p.grid.hi, p.grid.ste);
  }
}

template <bool kSym, bool kHasV>
ARECIPE_AVX2 void bwd_rows_avx2(const BwdArgs& p, int64_t r0, int64_t r1) {
  const __m256 lo = _mm256_set1_ps(p.grid.lo), hi = _mm256_set1_ps(p.grid.hi);
  const __m256 sign = _mm256_set1_ps(-0.f);
  const bool at_bounds = p.grid.grad_at_bounds;
  const int64_t full = p.g / kLanes * kLanes;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t base = r * p.g;
    const float a = p.a[r], b = p.b[r], z = kSym ? 0.f : p.z[r];
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), vz = _mm256_set1_ps(z);
    __m256 acc_a = _mm256_setzero_ps(), acc_b = _mm256_setzero_ps();
    __m256 acc_zi = _mm256_setzero_ps(), acc_zo = _mm256_setzero_ps();
    for (int64_t i = 0; i < full; i += kLanes) {
      const __m256 go = _mm256_loadu_ps(p.go + base + i);
      const __m256 d = _mm256_div_ps(_mm256_loadu_ps(p.t + base + i), va);
      const __m256 x = kHasV ? _mm256_add_ps(d, _mm256_loadu_ps(p.v + base + i)) : d;
      const __m256 rr = round8(x, p.grid.ste);
      const __m256 gb = _mm256_mul_ps(go, vb);
      // The clamp's input: r (sym) or r + zp (asym).
      const __m256 c = kSym ? rr : _mm256_add_ps(rr, vz);
      const __m256 inside =
          at_bounds ? _mm256_and_ps(_mm256_cmp_ps(c, lo, _CMP_GE_OQ), _mm256_cmp_ps(c, hi, _CMP_LE_OQ))
                    : _mm256_and_ps(_mm256_cmp_ps(c, lo, _CMP_GT_OQ), _mm256_cmp_ps(c, hi, _CMP_LT_OQ));
      const __m256 gx = _mm256_and_ps(inside, gb);
      if (p.gv) _mm256_storeu_ps(p.gv + base + i, gx);
      if (p.gt) _mm256_storeu_ps(p.gt + base + i, _mm256_div_ps(gx, va));
      acc_a = _mm256_add_ps(acc_a, _mm256_mul_ps(_mm256_xor_ps(gx, sign), _mm256_div_ps(d, va)));
      const __m256 q = clamp8(c, lo, hi);
      acc_b = _mm256_add_ps(acc_b, _mm256_mul_ps(go, kSym ? q : _mm256_sub_ps(q, vz)));
      if (!kSym) {
        acc_zi = _mm256_add_ps(acc_zi, gx);
        acc_zo = _mm256_add_ps(acc_zo, _mm256_xor_ps(gb, sign));
      }
    }
    float la[kLanes], lb[kLanes], lzi[kLanes], lzo[kLanes];
    store_lanes(acc_a, la);
    store_lanes(acc_b, lb);
    store_lanes(acc_zi, lzi);
    store_lanes(acc_zo, lzo);
    GroupSums s{lane_sum(la), lane_sum(lb), lane_sum(lzi), lane_sum(lzo)};
    bwd_tail<kSym, kHasV>(p, r, full, s);
    store_sums(p, r, s);
  }
}
#endif  // ARECIPE_FQ_X86

// Picks the instantiation for (sym, has_v, isa) once per call.
template <typename Args>
using RowFn = void (*)(const Args&, int64_t, int64_t);

template <template <bool, bool> class Pick, typename Args>
RowFn<Args> choose(bool sym, bool has_v) {
  if (sym) return has_v ? Pick<true, true>::fn() : Pick<true, false>::fn();
  return has_v ? Pick<false, true>::fn() : Pick<false, false>::fn();
}

template <bool kSym, bool kHasV>
struct PickFwd {
  static RowFn<FwdArgs> fn() {
#ifdef ARECIPE_FQ_X86
    if (use_avx2()) return &fwd_rows_avx2<kSym, kHasV>;
#endif
    return &fwd_rows_scalar<kSym, kHasV>;
  }
};

template <bool kSym, bool kHasV>
struct PickBwd {
  static RowFn<BwdArgs> fn() {
#ifdef ARECIPE_FQ_X86
    if (use_avx2()) return &bwd_rows_avx2<kSym, kHasV>;
#endif
    return &bwd_rows_scalar<kSym, kHasV>;
  }
};

const float* ptr_or_null(const at::Tensor& x) { return x.defined() ? x.data_ptr<float>() : nullptr; }

}  // namespace

void force_scalar_cpu_kernels(bool on) { g_force_scalar.store(on, std::memory_order_relaxed); }

at::Tensor int_fq_forward_cpu(const IntFqInputs& in, IntGrid grid) {
  const int64_t rows = in.t.size(0), g = in.t.size(1);
  at::Tensor out = at::empty({rows, g}, in.t.options());
  const FwdArgs p{in.t.data_ptr<float>(), ptr_or_null(in.v),        in.scale_in.data_ptr<float>(),
                  in.scale_out.data_ptr<float>(), ptr_or_null(in.zp), out.data_ptr<float>(),
                  g,                       grid};
  const RowFn<FwdArgs> fn = choose<PickFwd, FwdArgs>(grid.sym, in.v.defined());
  at::parallel_for(0, rows, grain_rows(g), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
  return out;
}

IntFqGrads int_fq_backward_cpu(const at::Tensor& grad_out, const IntFqInputs& in, IntGrid grid,
                               IntFqWanted want) {
  const int64_t rows = in.t.size(0), g = in.t.size(1);
  const at::TensorOptions opt = in.t.options();
  IntFqGrads out;
  if (want.t) out.t = at::empty({rows, g}, opt);
  if (want.v) out.v = at::empty({rows, g}, opt);
  if (want.scale_in) out.scale_in = at::empty({rows}, opt);
  if (want.scale_out) out.scale_out = at::empty({rows}, opt);
  if (want.zp && !grid.sym) out.zp = at::empty({rows}, opt);
  auto mut = [](at::Tensor& x) { return x.defined() ? x.data_ptr<float>() : nullptr; };
  const BwdArgs p{grad_out.data_ptr<float>(),
                  in.t.data_ptr<float>(),
                  ptr_or_null(in.v),
                  in.scale_in.data_ptr<float>(),
                  in.scale_out.data_ptr<float>(),
                  ptr_or_null(in.zp),
                  mut(out.t),
                  mut(out.v),
                  mut(out.scale_in),
                  mut(out.scale_out),
                  mut(out.zp),
                  g,
                  grid};
  const RowFn<BwdArgs> fn = choose<PickBwd, BwdArgs>(grid.sym, in.v.defined());
  at::parallel_for(0, rows, grain_rows(g), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
  return out;
}

IntGrid int_grid(int bits, bool sym, bool ste, bool grad_at_bounds) {
  if (sym) {
    const float maxq = static_cast<float>(int64_t{1} << (bits - 1));
    return {true, -maxq, maxq - 1.f, ste, grad_at_bounds};
  }
  return {false, 0.f, static_cast<float>((int64_t{1} << bits) - 1), ste, grad_at_bounds};
}

bool have_cuda_kernels() {
#ifdef ARECIPE_HAVE_CUDA_KERNELS
  return true;
#else
  return false;
#endif
}

}  // namespace arecipe::qdq::fused
