// Tiled softmax attention on CPU (see fused_attention.h for why and the scope).
//
// Forward, per (batch, query head, tile of kTileRows query rows):
//   S = Q_t K_c^T            over the tile's key columns c (the union of its rows' spans)
//   P = softmax(S * scale + mask) row by row; lse = max + log(sum) is kept
//   O_t = P V_c
// Backward, per (batch, KV head) so that the dK/dV sums of a grouped head stay on one
// thread, for each of its query heads and tiles:
//   P = exp(S * scale + mask - lse)      recomputed
//   dP = dO_t V_c^T,  dS = P * (dP - rowsum(dO_t * O_t)) * scale
//   dV_c += P^T dO_t,  dQ_t = dS K_c,  dK_c += dS^T Q_t
// The small products go to oneDNN's sgemm, which runs on the calling thread inside
// ATen's parallel region.
#include "engine/model/fused_attention.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef ARECIPE_HAVE_DNNL
#include <dnnl.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/model/fused_ops.h"
#include "engine/util/avx2_math.h"

namespace arecipe {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// 64 rows x T columns of scores stay in L2 up to T = 2048 and make the products large
// enough for the GEMM kernels; causal tiles skip about 3/8 of the columns at T = 256.
constexpr int64_t kTileRows = 64;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Element (b, h, t, 0) of a [B, H, T, D] tensor whose last dimension has unit stride;
// rows of one head are `st` apart, which is the leading dimension the GEMMs take.
struct Heads {
  float* data;
  int64_t sb, sh, st;
  float* row(int64_t b, int64_t h, int64_t t) const { return data + b * sb + h * sh + t * st; }
};
Heads heads_of(const at::Tensor& x) { return {x.data_ptr<float>(), x.stride(0), x.stride(1), x.stride(2)}; }
// A [B, T, H, D] buffer seen as [B, H, T, D].
Heads heads_of_bthd(const at::Tensor& x) { return {x.data_ptr<float>(), x.stride(0), x.stride(2), x.stride(1)}; }

struct Dims {
  int64_t B, Hq, Hkv, T, Dqk, Dv;
  int64_t group() const { return Hq / Hkv; }
  int64_t tiles() const { return (T + kTileRows - 1) / kTileRows; }
};

// The key columns each query row can see: [lo, hi) spans the row's finite mask entries
// (entries inside the span that are -inf still come out as probability 0). Kept as an
// int64 [2, T] tensor so that the autograd node can save it with the inputs.
struct Spans {
  const int64_t *lo, *hi;
  explicit Spans(const at::Tensor& t) : lo(t.data_ptr<int64_t>()), hi(lo + t.size(1)) {}
};

// Undefined when a row is fully masked: eager attention gives NaN there; leave it to eager.
at::Tensor mask_spans(const at::Tensor& mask) {
  const int64_t T = mask.size(0);
  const float* m = mask.data_ptr<float>();
  at::Tensor spans = at::empty({2, T}, at::kLong);
  int64_t* lo = spans.data_ptr<int64_t>();
  int64_t* hi = lo + T;
  for (int64_t i = 0; i < T; ++i) {
    const float* r = m + i * T;
    lo[i] = 0;
    hi[i] = T;
    while (lo[i] < T && !std::isfinite(r[lo[i]])) ++lo[i];
    if (lo[i] == T) return at::Tensor();
    while (!std::isfinite(r[hi[i] - 1])) --hi[i];
  }
  return spans;
}

// A tile of query rows [r0, r1) and the key columns [c0, c1) any of them sees.
struct Tile {
  int64_t r0, r1, c0, c1;
  int64_t rows() const { return r1 - r0; }
  int64_t cols() const { return c1 - c0; }
};

Tile tile_at(const Spans& s, int64_t index, int64_t T) {
  Tile t{index * kTileRows, std::min((index + 1) * kTileRows, T), T, 0};
  for (int64_t i = t.r0; i < t.r1; ++i) {
    t.c0 = std::min(t.c0, s.lo[i]);
    t.c1 = std::max(t.c1, s.hi[i]);
  }
  return t;
}

// oneDNN's sgemm uses every OpenMP thread when called outside a parallel region and one
// inside. at::parallel_for runs a short range inline, outside any region: this guard
// then limits the calling thread to one, so that each item's products are computed the
// same way whatever the thread count (and the bytes do not depend on it).
class SerialGemms {
 public:
  SerialGemms() {
#ifdef _OPENMP
    if (!omp_in_parallel()) {
      saved_ = omp_get_max_threads();
      omp_set_num_threads(1);
    }
#endif
  }
  ~SerialGemms() {
#ifdef _OPENMP
    if (saved_ > 0) omp_set_num_threads(saved_);
#endif
  }
  SerialGemms(const SerialGemms&) = delete;
  SerialGemms& operator=(const SerialGemms&) = delete;

 private:
  int saved_ = 0;
};

// Row-major C[M, N] = op(A) op(B) + beta C.
void gemm(char ta, char tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
          int64_t ldb, float beta, float* C, int64_t ldc) {
  const dnnl_status_t st = dnnl_sgemm(ta, tb, M, N, K, 1.f, A, lda, B, ldb, beta, C, ldc);
  if (st != dnnl_success) throw std::runtime_error("fused_attention: dnnl_sgemm failed, status " + std::to_string(st));
}

// x = exp(x - shift) over n values (exp(-inf) = 0); returns their sum.
float exp_shifted_scalar(float* x, int64_t n, float shift) {
  float sum = 0.f;
  for (int64_t j = 0; j < n; ++j) sum += (x[j] = std::exp(x[j] - shift));
  return sum;
}

#ifdef ARECIPE_HAVE_X86_AVX2
ARECIPE_AVX2_FMA float exp_shifted_avx2(float* x, int64_t n, float shift) {
  const __m256 s = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = avx2::exp8(_mm256_sub_ps(_mm256_loadu_ps(x + j), s));
    _mm256_storeu_ps(x + j, e);
    acc = _mm256_add_ps(acc, e);
  }
  return avx2::sum8(acc) + exp_shifted_scalar(x + j, n - j, shift);
}
#endif

float exp_shifted(float* x, int64_t n, float shift) {
  return ARECIPE_PICK_AVX2(exp_shifted_scalar, exp_shifted_avx2)(x, n, shift);
}

// One row of a tile's scores (columns c0..c0+n) into logits: s * scale + mask inside the
// row's span, -inf outside it. Returns the largest logit.
float logits_row_scalar(float* s, const float* mask_row, int64_t lo, int64_t hi, float scale) {
  float mx = kNegInf;
  for (int64_t j = lo; j < hi; ++j) mx = std::max(mx, s[j] = s[j] * scale + mask_row[j]);
  return mx;
}

// dS = P * (dP - delta) * scale over one row, in place in dP.
void softmax_grad_row_scalar(float* dp, const float* p, int64_t n, float delta, float scale) {
  for (int64_t j = 0; j < n; ++j) dp[j] = p[j] * (dp[j] - delta) * scale;
}

#ifdef ARECIPE_HAVE_X86_AVX2
// Multiply and add stay separate (no FMA), as in the scalar loop and the eager path.
ARECIPE_AVX2_FMA float logits_row_avx2(float* s, const float* mask_row, int64_t lo, int64_t hi, float scale) {
  const __m256 vs = _mm256_set1_ps(scale);
  __m256 vmax = _mm256_set1_ps(kNegInf);
  int64_t j = lo;
  for (; j + 8 <= hi; j += 8) {
    const __m256 x = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(s + j), vs), _mm256_loadu_ps(mask_row + j));
    _mm256_storeu_ps(s + j, x);
    vmax = _mm256_max_ps(vmax, x);
  }
  float l[8];
  _mm256_storeu_ps(l, vmax);
  float mx = *std::max_element(l, l + 8);
  return std::max(mx, logits_row_scalar(s, mask_row, j, hi, scale));
}

ARECIPE_AVX2_FMA void softmax_grad_row_avx2(float* dp, const float* p, int64_t n, float delta, float scale) {
  const __m256 vd = _mm256_set1_ps(delta), vs = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(dp + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(p + j), _mm256_sub_ps(_mm256_loadu_ps(dp + j), vd)), vs));
  softmax_grad_row_scalar(dp + j, p + j, n - j, delta, scale);
}
#endif

float logits_row(float* s, const float* mask_row, int64_t n, int64_t lo, int64_t hi, float scale) {
  std::fill(s, s + lo, kNegInf);
  std::fill(s + hi, s + n, kNegInf);
  return ARECIPE_PICK_AVX2(logits_row_scalar, logits_row_avx2)(s, mask_row, lo, hi, scale);
}

void softmax_grad_row(float* dp, const float* p, int64_t n, float delta, float scale) {
  ARECIPE_PICK_AVX2(softmax_grad_row_scalar, softmax_grad_row_avx2)(dp, p, n, delta, scale);
}

struct Inputs {
  Heads q, k, v;
  const float* mask;
  Spans spans;
  float scale;
  Dims d;
};

// S_t = Q_t K_c^T for tile t of query head h into `s` (row stride t.cols()), turned into
// logits by logits_row; each row's largest logit goes to `mx` when given.
void tile_logits(const Inputs& in, int64_t b, int64_t h, const Tile& t, float* s, float* mx) {
  const int64_t g = h / in.d.group(), n = t.cols();
  gemm('N', 'T', t.rows(), n, in.d.Dqk, in.q.row(b, h, t.r0), in.q.st, in.k.row(b, g, t.c0), in.k.st, 0.f, s, n);
  for (int64_t r = 0; r < t.rows(); ++r) {
    const int64_t i = t.r0 + r;
    const float m = logits_row(s + r * n, in.mask + i * in.d.T + t.c0, n, in.spans.lo[i] - t.c0,
                               in.spans.hi[i] - t.c0, in.scale);
    if (mx) mx[r] = m;
  }
}

void forward_kernel(const Inputs& in, const Heads& o, float* lse) {
  const Dims& d = in.d;
  const int64_t tiles = d.tiles();
  at::parallel_for(0, d.B * d.Hq * tiles, 1, [&](int64_t begin, int64_t end) {
    const SerialGemms serial;
    std::vector<float> s(kTileRows * d.T), mx(kTileRows);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t b = item / (d.Hq * tiles), h = item / tiles % d.Hq;
      const Tile t = tile_at(in.spans, item % tiles, d.T);
      const int64_t n = t.cols();
      tile_logits(in, b, h, t, s.data(), mx.data());
      for (int64_t r = 0; r < t.rows(); ++r) {
        float* p = s.data() + r * n;
        const float sum = exp_shifted(p, n, mx[r]);
        const float inv = 1.f / sum;
        for (int64_t j = 0; j < n; ++j) p[j] *= inv;
        lse[(b * d.Hq + h) * d.T + t.r0 + r] = mx[r] + std::log(sum);
      }
      gemm('N', 'N', t.rows(), d.Dv, n, s.data(), n, in.v.row(b, h / d.group(), t.c0), in.v.st, 0.f,
           o.row(b, h, t.r0), o.st);
    }
  });
}

struct Grads {
  Heads dq, dk, dv;
};

void backward_kernel(const Inputs& in, const Heads& o, const Heads& dout, const float* lse, const Grads& g) {
  const Dims& d = in.d;
  at::parallel_for(0, d.B * d.Hkv, 1, [&](int64_t begin, int64_t end) {
    const SerialGemms serial;
    std::vector<float> p(kTileRows * d.T), ds(kTileRows * d.T);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t b = item / d.Hkv, kv = item % d.Hkv;
      for (int64_t h = kv * d.group(); h < (kv + 1) * d.group(); ++h) {
        for (int64_t ti = 0; ti < d.tiles(); ++ti) {
          const Tile t = tile_at(in.spans, ti, d.T);
          const int64_t n = t.cols(), rows = t.rows();
          tile_logits(in, b, h, t, p.data(), nullptr);
          for (int64_t r = 0; r < rows; ++r) exp_shifted(p.data() + r * n, n, lse[(b * d.Hq + h) * d.T + t.r0 + r]);
          const float* dot = dout.row(b, h, t.r0);
          gemm('N', 'T', rows, n, d.Dv, dot, dout.st, in.v.row(b, kv, t.c0), in.v.st, 0.f, ds.data(), n);
          for (int64_t r = 0; r < rows; ++r) {
            const float* orow = o.row(b, h, t.r0 + r);
            const float* grow = dot + r * dout.st;
            float delta = 0.f;
            for (int64_t e = 0; e < d.Dv; ++e) delta += grow[e] * orow[e];
            softmax_grad_row(ds.data() + r * n, p.data() + r * n, n, delta, in.scale);
          }
          gemm('T', 'N', n, d.Dv, rows, p.data(), n, dot, dout.st, 1.f, g.dv.row(b, kv, t.c0), g.dv.st);
          gemm('N', 'N', rows, d.Dqk, n, ds.data(), n, in.k.row(b, kv, t.c0), in.k.st, 0.f, g.dq.row(b, h, t.r0),
               g.dq.st);
          gemm('T', 'N', n, d.Dqk, rows, ds.data(), n, in.q.row(b, h, t.r0), in.q.st, 1.f, g.dk.row(b, kv, t.c0),
               g.dk.st);
        }
      }
    }
  });
}

Dims dims_of(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  return {q.size(0), q.size(1), k.size(1), q.size(2), q.size(3), v.size(3)};
}

class FusedAttentionFn : public torch::autograd::Function<FusedAttentionFn> {
 public:
  // Returns [B, T, Hq, Dv]; the caller's transpose to [B, Hq, T, Dv] is a view.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                            const at::Tensor& mask, const at::Tensor& spans_t, double scale) {
    const Dims d = dims_of(q, k, v);
    const Spans spans(spans_t);
    at::Tensor out = at::empty({d.B, d.T, d.Hq, d.Dv}, q.options());
    at::Tensor lse = at::empty({d.B, d.Hq, d.T}, q.options());
    const Inputs in{heads_of(q), heads_of(k), heads_of(v), mask.data_ptr<float>(), spans, static_cast<float>(scale), d};
    forward_kernel(in, heads_of_bthd(out), lse.data_ptr<float>());
    ctx->save_for_backward({q, k, v, mask, spans_t, out, lse});
    ctx->saved_data["scale"] = scale;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list s = ctx->get_saved_variables();
    const at::Tensor &q = s[0], &k = s[1], &v = s[2], &mask = s[3], &out = s[5], &lse = s[6];
    variable_list grads(6);
    if (!grad_outputs[0].defined()) return grads;
    const at::Tensor dout = grad_outputs[0].contiguous();
    const Dims d = dims_of(q, k, v);
    const Spans spans(s[4]);
    at::Tensor dq = at::empty({d.B, d.T, d.Hq, d.Dqk}, q.options());
    at::Tensor dk = at::zeros({d.B, d.T, d.Hkv, d.Dqk}, q.options());
    at::Tensor dv = at::zeros({d.B, d.T, d.Hkv, d.Dv}, q.options());
    const Inputs in{heads_of(q), heads_of(k), heads_of(v), mask.data_ptr<float>(), spans,
                    static_cast<float>(ctx->saved_data["scale"].toDouble()), d};
    backward_kernel(in, heads_of_bthd(out), heads_of_bthd(dout), lse.data_ptr<float>(),
                    {heads_of_bthd(dq), heads_of_bthd(dk), heads_of_bthd(dv)});
    grads[0] = dq.transpose(1, 2);
    grads[1] = dk.transpose(1, 2);
    grads[2] = dv.transpose(1, 2);
    return grads;
  }
};

// Unit stride in the head dimension and rows at least a head apart: what the GEMMs read.
at::Tensor gemm_ready(const at::Tensor& x) {
  return x.stride(3) == 1 && x.stride(2) >= x.size(3) ? x : x.contiguous();
}

}  // namespace

bool fused_attention_available() { return true; }

std::optional<at::Tensor> fused_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                          const at::Tensor& mask, double scale) {
  if (!fused_ops_enabled()) return std::nullopt;
  for (const at::Tensor* x : {&q, &k, &v, &mask})
    if (!x->device().is_cpu() || x->scalar_type() != at::kFloat) return std::nullopt;
  if (q.dim() != 4 || k.dim() != 4 || v.dim() != 4 || mask.dim() != 2) return std::nullopt;
  const int64_t B = q.size(0), T = q.size(2);
  if (T == 0 || k.size(0) != B || v.size(0) != B || k.size(2) != T || v.size(2) != T || k.size(1) != v.size(1) ||
      k.size(3) != q.size(3) || k.size(1) == 0 || q.size(1) % k.size(1) != 0 || mask.size(0) != T ||
      mask.size(1) != T)
    return std::nullopt;
  const at::Tensor m = mask.contiguous();
  const at::Tensor spans = mask_spans(m);
  if (!spans.defined()) return std::nullopt;
  return FusedAttentionFn::apply(gemm_ready(q), gemm_ready(k), gemm_ready(v), m, spans, scale).transpose(1, 2);
}

}  // namespace arecipe

#else  // no oneDNN: attention stays eager

namespace arecipe {
std::optional<at::Tensor> fused_attention(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                          double) {
  return std::nullopt;
}
bool fused_attention_available() { return false; }
}  // namespace arecipe

#endif  // ARECIPE_HAVE_DNNL
