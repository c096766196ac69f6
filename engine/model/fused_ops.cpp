// RMSNorm, RoPE and SwiGLU as single CPU kernels (see fused_ops.h).
//
// RMSNorm, per row of n values, r = 1 / sqrt(sum(x^2) / n + eps):
//   forward   y = w * (x * r)                        r is kept, one float per row
//   backward  g = dy * w, c = sum(g * x * r) / n,  dx = r * (g - x * r * c)
//             dw = sum over rows of dy * x * r        (ATen, only when w needs it)
// RoPE (rotate-half), per row of D = 2h values with the position's cos/sin rows:
//   forward   y_j = x_j c_j - x_{j+h} s_j,   y_{j+h} = x_{j+h} c_{j+h} + x_j s_{j+h}
//   backward  dx_j = dy_j c_j + dy_{j+h} s_{j+h},  dx_{j+h} = dy_{j+h} c_{j+h} - dy_j s_j
// SwiGLU, per element, s = 1 / (1 + exp(-gate)):
//   forward   y = gate * s * up
//   backward  dup = dy * gate * s,  dgate = dy * up * s * (1 + gate * (1 - s))
#include "engine/model/fused_ops.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>

#include "engine/util/avx2_math.h"

namespace arecipe {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

std::atomic<bool> g_enabled{true};

bool fusable(const at::Tensor& x) { return x.defined() && x.device().is_cpu() && x.scalar_type() == at::kFloat; }

// ---- RMSNorm ----

struct RmsRows {
  const float *x, *w, *dy;
  float *y, *r, *dx;
  int64_t n;
  float eps;
};

void rms_forward_scalar(const RmsRows& a, int64_t r0, int64_t r1) {
  for (int64_t row = r0; row < r1; ++row) {
    const float* x = a.x + row * a.n;
    float ss = 0.f;
    for (int64_t j = 0; j < a.n; ++j) ss += x[j] * x[j];
    const float r = 1.f / std::sqrt(ss / static_cast<float>(a.n) + a.eps);
    a.r[row] = r;
    for (int64_t j = 0; j < a.n; ++j) a.y[row * a.n + j] = a.w[j] * (x[j] * r);
  }
}

void rms_backward_scalar(const RmsRows& a, int64_t r0, int64_t r1) {
  for (int64_t row = r0; row < r1; ++row) {
    const float *x = a.x + row * a.n, *dy = a.dy + row * a.n;
    const float r = a.r[row];
    float dot = 0.f;
    for (int64_t j = 0; j < a.n; ++j) dot += dy[j] * a.w[j] * (x[j] * r);
    const float c = dot / static_cast<float>(a.n);
    for (int64_t j = 0; j < a.n; ++j) a.dx[row * a.n + j] = r * (dy[j] * a.w[j] - x[j] * r * c);
  }
}

#ifdef ARECIPE_HAVE_X86_AVX2
ARECIPE_AVX2_FMA void rms_forward_avx2(const RmsRows& a, int64_t r0, int64_t r1) {
  const int64_t full = a.n / 8 * 8;
  for (int64_t row = r0; row < r1; ++row) {
    const float* x = a.x + row * a.n;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < full; j += 8) {
      const __m256 v = _mm256_loadu_ps(x + j);
      acc = _mm256_fmadd_ps(v, v, acc);
    }
    float ss = avx2::sum8(acc);
    for (int64_t j = full; j < a.n; ++j) ss += x[j] * x[j];
    const float r = 1.f / std::sqrt(ss / static_cast<float>(a.n) + a.eps);
    a.r[row] = r;
    const __m256 vr = _mm256_set1_ps(r);
    float* y = a.y + row * a.n;
    for (int64_t j = 0; j < full; j += 8)
      _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_loadu_ps(a.w + j), _mm256_mul_ps(_mm256_loadu_ps(x + j), vr)));
    for (int64_t j = full; j < a.n; ++j) y[j] = a.w[j] * (x[j] * r);
  }
}

ARECIPE_AVX2_FMA void rms_backward_avx2(const RmsRows& a, int64_t r0, int64_t r1) {
  const int64_t full = a.n / 8 * 8;
  for (int64_t row = r0; row < r1; ++row) {
    const float *x = a.x + row * a.n, *dy = a.dy + row * a.n;
    const float r = a.r[row];
    const __m256 vr = _mm256_set1_ps(r);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t j = 0; j < full; j += 8) {
      const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(dy + j), _mm256_loadu_ps(a.w + j));
      acc = _mm256_fmadd_ps(g, _mm256_mul_ps(_mm256_loadu_ps(x + j), vr), acc);
    }
    float dot = avx2::sum8(acc);
    for (int64_t j = full; j < a.n; ++j) dot += dy[j] * a.w[j] * (x[j] * r);
    const float c = dot / static_cast<float>(a.n);
    const __m256 vrc = _mm256_set1_ps(r * c);
    float* dx = a.dx + row * a.n;
    for (int64_t j = 0; j < full; j += 8) {
      const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(dy + j), _mm256_loadu_ps(a.w + j));
      _mm256_storeu_ps(dx + j, _mm256_mul_ps(vr, _mm256_fnmadd_ps(_mm256_loadu_ps(x + j), vrc, g)));
    }
    for (int64_t j = full; j < a.n; ++j) dx[j] = r * (dy[j] * a.w[j] - x[j] * r * c);
  }
}
#endif

using RowKernel = void (*)(const RmsRows&, int64_t, int64_t);

void for_rows(const RmsRows& a, int64_t rows, RowKernel fn) {
  at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(a.n, 1)),
                   [&](int64_t r0, int64_t r1) { fn(a, r0, r1); });
}

class RmsNormFn : public torch::autograd::Function<RmsNormFn> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, double eps) {
    const int64_t n = x.size(-1), rows = x.numel() / std::max<int64_t>(n, 1);
    at::Tensor y = at::empty_like(x), r = at::empty({rows}, x.options());
    const RmsRows a{x.data_ptr<float>(), w.data_ptr<float>(), nullptr, y.data_ptr<float>(), r.data_ptr<float>(),
                    nullptr, n, static_cast<float>(eps)};
    for_rows(a, rows, ARECIPE_PICK_AVX2(rms_forward_scalar, rms_forward_avx2));
    ctx->save_for_backward({x, w, r});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list s = ctx->get_saved_variables();
    const at::Tensor &x = s[0], &w = s[1], &r = s[2];
    variable_list grads(3);
    if (!grad_outputs[0].defined()) return grads;
    const at::Tensor dy = grad_outputs[0].contiguous();
    const int64_t n = x.size(-1), rows = r.numel();
    if (ctx->needs_input_grad(0)) {
      at::Tensor dx = at::empty_like(x);
      const RmsRows a{x.data_ptr<float>(), w.data_ptr<float>(), dy.data_ptr<float>(), nullptr, r.data_ptr<float>(),
                      dx.data_ptr<float>(), n, 0.f};
      for_rows(a, rows, ARECIPE_PICK_AVX2(rms_backward_scalar, rms_backward_avx2));
      grads[0] = dx;
    }
    if (ctx->needs_input_grad(1)) grads[1] = (dy.view({rows, n}) * (x.view({rows, n}) * r.unsqueeze(1))).sum(0);
    return grads;
  }
};

// ---- RoPE ----

// y_lo = a c_lo - b s_lo, y_hi = b c_hi + a s_hi over one row (a, b its halves), for the
// pairs j0 <= j < h. The backward is the same map with the table -[s_hi, s_lo] (the
// inverse rotation).
void rope_pairs_scalar(const float* x, float* y, const float* c, const float* s, int64_t j0, int64_t h) {
  for (int64_t j = j0; j < h; ++j) {
    const float a = x[j], b = x[j + h];
    y[j] = a * c[j] - b * s[j];
    y[j + h] = b * c[j + h] + a * s[j + h];
  }
}

void rope_row_scalar(const float* x, float* y, const float* c, const float* s, int64_t h) {
  rope_pairs_scalar(x, y, c, s, 0, h);
}

#ifdef ARECIPE_HAVE_X86_AVX2
// Multiply and add stay separate (no FMA), as in the scalar loop and the eager path.
ARECIPE_AVX2_FMA void rope_row_avx2(const float* x, float* y, const float* c, const float* s, int64_t h) {
  int64_t j = 0;
  for (; j + 8 <= h; j += 8) {
    const __m256 a = _mm256_loadu_ps(x + j), b = _mm256_loadu_ps(x + j + h);
    _mm256_storeu_ps(y + j, _mm256_sub_ps(_mm256_mul_ps(a, _mm256_loadu_ps(c + j)), _mm256_mul_ps(b, _mm256_loadu_ps(s + j))));
    _mm256_storeu_ps(y + j + h, _mm256_add_ps(_mm256_mul_ps(b, _mm256_loadu_ps(c + j + h)),
                                              _mm256_mul_ps(a, _mm256_loadu_ps(s + j + h))));
  }
  rope_pairs_scalar(x, y, c, s, j, h);
}
#endif

// Applies the row map to every (b, h, t) row of x [B, H, T, D] (unit stride in D) into y
// with the same strides; the tables are [T, D].
void rope_rows(const at::Tensor& x, const at::Tensor& y, const at::Tensor& cos, const at::Tensor& sin) {
  using RowFn = void (*)(const float*, float*, const float*, const float*, int64_t);
  const RowFn fn = ARECIPE_PICK_AVX2(rope_row_scalar, rope_row_avx2);
  const int64_t H = x.size(1), T = x.size(2), D = x.size(3);
  const float *xp = x.data_ptr<float>(), *cp = cos.data_ptr<float>(), *sp = sin.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  at::parallel_for(0, x.size(0) * H * T, std::max<int64_t>(1, 16384 / D), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / (H * T), h = r / T % H, t = r % T;
      fn(xp + b * x.stride(0) + h * x.stride(1) + t * x.stride(2), yp + b * y.stride(0) + h * y.stride(1) + t * y.stride(2),
         cp + t * D, sp + t * D, D / 2);
    }
  });
}

// Unit stride in the last dimension; other strides as they come.
at::Tensor rows_ready(const at::Tensor& x) { return x.stride(-1) == 1 ? x : x.contiguous(); }

class RopeFn : public torch::autograd::Function<RopeFn> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    at::Tensor y = at::empty_like(x);  // keeps x's layout (a transposed view's memory order)
    rope_rows(x, y, cos, sin);
    ctx->save_for_backward({cos, sin});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list s = ctx->get_saved_variables();
    variable_list grads(3);
    if (!grad_outputs[0].defined()) return grads;
    const at::Tensor dy = rows_ready(grad_outputs[0]);
    const int64_t h = s[1].size(-1) / 2;
    const at::Tensor inverse_sin = at::cat({s[1].narrow(-1, h, h), s[1].narrow(-1, 0, h)}, -1).neg();
    at::Tensor dx = at::empty_like(dy);
    rope_rows(dy, dx, s[0], inverse_sin);
    grads[0] = dx;
    return grads;
  }
};

// ---- SwiGLU ----

// Elements go to threads in blocks of 64, a multiple of the vector width, so the scalar
// tail only ever runs at the end of the tensor and the bytes do not depend on the split.
constexpr int64_t kBlock = 64;

struct SwigluArgs {
  const float *g, *u, *dy;
  float *y, *dg, *du;
};

void swiglu_forward_scalar(const SwigluArgs& a, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) a.y[i] = a.g[i] / (1.f + std::exp(-a.g[i])) * a.u[i];
}

void swiglu_backward_scalar(const SwigluArgs& a, int64_t i0, int64_t i1) {
  for (int64_t i = i0; i < i1; ++i) {
    const float g = a.g[i], s = 1.f / (1.f + std::exp(-g));
    a.du[i] = a.dy[i] * (g * s);
    a.dg[i] = a.dy[i] * a.u[i] * (s * (1.f + g * (1.f - s)));
  }
}

#ifdef ARECIPE_HAVE_X86_AVX2
ARECIPE_AVX2_FMA inline __m256 sigmoid8(__m256 g) {
  const __m256 one = _mm256_set1_ps(1.f);
  return _mm256_div_ps(one, _mm256_add_ps(one, avx2::exp8(_mm256_sub_ps(_mm256_setzero_ps(), g))));
}

ARECIPE_AVX2_FMA void swiglu_forward_avx2(const SwigluArgs& a, int64_t i0, int64_t i1) {
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 g = _mm256_loadu_ps(a.g + i);
    _mm256_storeu_ps(a.y + i, _mm256_mul_ps(_mm256_mul_ps(g, sigmoid8(g)), _mm256_loadu_ps(a.u + i)));
  }
  swiglu_forward_scalar(a, i, i1);
}

ARECIPE_AVX2_FMA void swiglu_backward_avx2(const SwigluArgs& a, int64_t i0, int64_t i1) {
  const __m256 one = _mm256_set1_ps(1.f);
  int64_t i = i0;
  for (; i + 8 <= i1; i += 8) {
    const __m256 g = _mm256_loadu_ps(a.g + i), dy = _mm256_loadu_ps(a.dy + i);
    const __m256 s = sigmoid8(g);
    _mm256_storeu_ps(a.du + i, _mm256_mul_ps(dy, _mm256_mul_ps(g, s)));
    const __m256 dsilu = _mm256_mul_ps(s, _mm256_fmadd_ps(g, _mm256_sub_ps(one, s), one));
    _mm256_storeu_ps(a.dg + i, _mm256_mul_ps(_mm256_mul_ps(dy, _mm256_loadu_ps(a.u + i)), dsilu));
  }
  swiglu_backward_scalar(a, i, i1);
}
#endif

using ElemKernel = void (*)(const SwigluArgs&, int64_t, int64_t);

void for_blocks(const SwigluArgs& a, int64_t numel, ElemKernel fn) {
  const int64_t blocks = (numel + kBlock - 1) / kBlock;
  at::parallel_for(0, blocks, 32768 / kBlock,
                   [&](int64_t b0, int64_t b1) { fn(a, b0 * kBlock, std::min(b1 * kBlock, numel)); });
}

class SwigluFn : public torch::autograd::Function<SwigluFn> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& g, const at::Tensor& u) {
    at::Tensor y = at::empty_like(g);
    const SwigluArgs a{g.data_ptr<float>(), u.data_ptr<float>(), nullptr, y.data_ptr<float>(), nullptr, nullptr};
    for_blocks(a, g.numel(), ARECIPE_PICK_AVX2(swiglu_forward_scalar, swiglu_forward_avx2));
    ctx->save_for_backward({g, u});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list s = ctx->get_saved_variables();
    variable_list grads(2);
    if (!grad_outputs[0].defined()) return grads;
    const at::Tensor dy = grad_outputs[0].contiguous();
    at::Tensor dg = at::empty_like(s[0]), du = at::empty_like(s[1]);
    const SwigluArgs a{s[0].data_ptr<float>(), s[1].data_ptr<float>(), dy.data_ptr<float>(),
                       nullptr,                dg.data_ptr<float>(),   du.data_ptr<float>()};
    for_blocks(a, dy.numel(), ARECIPE_PICK_AVX2(swiglu_backward_scalar, swiglu_backward_avx2));
    grads[0] = dg;
    grads[1] = du;
    return grads;
  }
};

}  // namespace

bool fused_ops_enabled() { return g_enabled.load(std::memory_order_relaxed); }
void set_fused_ops_enabled(bool on) { g_enabled.store(on, std::memory_order_relaxed); }

std::optional<at::Tensor> fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  if (!fused_ops_enabled() || !fusable(x) || !fusable(weight) || x.dim() == 0 || x.numel() == 0 ||
      weight.dim() != 1 || weight.size(0) != x.size(-1))
    return std::nullopt;
  return RmsNormFn::apply(x.contiguous(), weight.contiguous(), eps);
}

std::optional<at::Tensor> fused_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  if (!fused_ops_enabled() || !fusable(x) || !fusable(cos) || !fusable(sin) || x.dim() != 4 || x.numel() == 0 ||
      x.size(-1) % 2 != 0 || cos.dim() != 2 || cos.size(0) != x.size(2) || cos.size(1) != x.size(3) ||
      !cos.sizes().equals(sin.sizes()) || cos.requires_grad() || sin.requires_grad())
    return std::nullopt;
  return RopeFn::apply(rows_ready(x), cos.contiguous(), sin.contiguous());
}

std::optional<at::Tensor> fused_swiglu(const at::Tensor& gate, const at::Tensor& up) {
  if (!fused_ops_enabled() || !fusable(gate) || !fusable(up) || gate.sizes() != up.sizes() || gate.numel() == 0)
    return std::nullopt;
  return SwigluFn::apply(gate.contiguous(), up.contiguous());
}

}  // namespace arecipe
