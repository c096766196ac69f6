// CPU kernels and autograd op for the fused NVFP4 element chain (nvfp4_fq.h). Scalar
// loops (the grid rounding selects among three roundings per element); per-group sums
// use 8 lane accumulators in a fixed order, one thread per group, so results do not
// depend on the thread count. Compiled with -ffp-contract=off like int_fq_cpu.cpp.
#include "schemes/qdq/fused/nvfp4_fq.h"

#include <ATen/Parallel.h>
#include <ATen/ops/empty.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace arecipe::qdq::fused {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr float kFp4Max = 6.f;
constexpr int kLanes = 8;

inline float clamp_to(float x, float lo, float hi) { return std::min(std::max(x, lo), hi); }
inline float sign_of(float c) { return c > 0.f ? 1.f : (c < 0.f ? -1.f : 0.f); }
inline bool passes(float c, bool at_bounds) {
  return at_bounds ? (c >= -kFp4Max && c <= kFp4Max) : (c > -kFp4Max && c < kFp4Max);
}

// The e2m1 magnitude of a = |c| in [0, 6], as cast_to_fp4's three masked branches.
inline float fp4_magnitude(float a) {
  if (a < 2.f) return std::nearbyint(a * 2.f) / 2.f;
  if (a < 4.f) return std::nearbyint(a);
  return std::nearbyint(a / 2.f) * 2.f;
}

struct Args {
  const float *x, *v, *os, *inv, *go;
  float *out, *gx, *gv, *gos, *ginv;
  int64_t g;
  bool at_bounds;
};

template <bool kHasV>
void fwd_rows(const Args& p, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float os = p.os[r], inv = p.inv[r];
    for (int64_t i = r * p.g; i < (r + 1) * p.g; ++i) {
      float s = p.x[i] * os;
      if (kHasV) s = s + p.v[i];
      const float c = clamp_to(s, -kFp4Max, kFp4Max);
      p.out[i] = clamp_to(fp4_magnitude(std::fabs(c)), -kFp4Max, kFp4Max) * sign_of(c) * inv;
    }
  }
}

// Autograd through the chain: the product by inv gives g*f to inv and g*inv to f;
// "* sign" and abs each multiply by sign(c) (so a zero c passes nothing); round_ste
// and the /2, *2 around it pass the gradient unchanged; each clamp passes it inside.
template <bool kHasV>
void bwd_rows(const Args& p, int64_t r0, int64_t r1) {
  const int64_t full = p.g / kLanes * kLanes;
  for (int64_t r = r0; r < r1; ++r) {
    const float os = p.os[r], inv = p.inv[r];
    float los[kLanes] = {}, linv[kLanes] = {};
    float sum_os = 0.f, sum_inv = 0.f;
    for (int64_t j = 0; j < p.g; ++j) {
      const int64_t i = r * p.g + j;
      float s = p.x[i] * os;
      if (kHasV) s = s + p.v[i];
      const float c = clamp_to(s, -kFp4Max, kFp4Max);
      const float sg = sign_of(c);
      const float mag = fp4_magnitude(std::fabs(c));
      const float f = clamp_to(mag, -kFp4Max, kFp4Max) * sg;
      const float gf = p.go[i] * inv;
      const float gc = (passes(mag, p.at_bounds) ? gf * sg : 0.f) * sg;
      const float gs = passes(s, p.at_bounds) ? gc : 0.f;
      if (p.gv) p.gv[i] = gs;
      if (p.gx) p.gx[i] = gs * os;
      const float dos = gs * p.x[i], dinv = p.go[i] * f;
      if (j < full) {
        los[j % kLanes] += dos;
        linv[j % kLanes] += dinv;
      } else {
        if (j == full) {
          sum_os = ((los[0] + los[1]) + (los[2] + los[3])) + ((los[4] + los[5]) + (los[6] + los[7]));
          sum_inv = ((linv[0] + linv[1]) + (linv[2] + linv[3])) + ((linv[4] + linv[5]) + (linv[6] + linv[7]));
        }
        sum_os += dos;
        sum_inv += dinv;
      }
    }
    if (full == p.g) {
      sum_os = ((los[0] + los[1]) + (los[2] + los[3])) + ((los[4] + los[5]) + (los[6] + los[7]));
      sum_inv = ((linv[0] + linv[1]) + (linv[2] + linv[3])) + ((linv[4] + linv[5]) + (linv[6] + linv[7]));
    }
    if (p.gos) p.gos[r] = sum_os;
    if (p.ginv) p.ginv[r] = sum_inv;
  }
}

int64_t grain_rows(int64_t g) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(g, 1)); }
bool present(const at::Tensor& t) { return t.defined() && t.numel() != 0; }
float* ptr(const at::Tensor& t) { return present(t) ? t.data_ptr<float>() : nullptr; }

class NvFp4FakeQuantFn : public torch::autograd::Function<NvFp4FakeQuantFn> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& v, const at::Tensor& os,
                            const at::Tensor& inv, bool at_bounds) {
    const int64_t rows = x.size(0), g = x.size(1);
    const at::Tensor xc = x.contiguous(), vc = v.contiguous();
    const at::Tensor osc = os.reshape({rows}).contiguous(), invc = inv.reshape({rows}).contiguous();
    ctx->save_for_backward({xc, vc, osc, invc});
    ctx->saved_data["at_bounds"] = at_bounds;
    ctx->saved_data["os_shape"] = os.sizes().vec();
    ctx->saved_data["inv_shape"] = inv.sizes().vec();
    at::Tensor out = at::empty({rows, g}, x.options());
    const Args p{xc.data_ptr<float>(), ptr(vc), osc.data_ptr<float>(), invc.data_ptr<float>(), nullptr,
                 out.data_ptr<float>(), nullptr, nullptr, nullptr, nullptr, g, at_bounds};
    const auto fn = present(vc) ? &fwd_rows<true> : &fwd_rows<false>;
    at::parallel_for(0, rows, grain_rows(g), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &v = saved[1], &os = saved[2], &inv = saved[3];
    variable_list grads(5);
    if (!grad_outputs[0].defined()) return grads;
    const at::Tensor go = grad_outputs[0].to(at::kFloat).contiguous();
    const int64_t rows = x.size(0), g = x.size(1);
    const at::TensorOptions opt = x.options();
    if (ctx->needs_input_grad(0)) grads[0] = at::empty({rows, g}, opt);
    if (present(v) && ctx->needs_input_grad(1)) grads[1] = at::empty({rows, g}, opt);
    if (ctx->needs_input_grad(2)) grads[2] = at::empty({rows}, opt);
    if (ctx->needs_input_grad(3)) grads[3] = at::empty({rows}, opt);
    const Args p{x.data_ptr<float>(), ptr(v),        os.data_ptr<float>(), inv.data_ptr<float>(),
                 go.data_ptr<float>(), nullptr,      ptr(grads[0]),        ptr(grads[1]),
                 ptr(grads[2]),        ptr(grads[3]), g,                   ctx->saved_data["at_bounds"].toBool()};
    const auto fn = present(v) ? &bwd_rows<true> : &bwd_rows<false>;
    at::parallel_for(0, rows, grain_rows(g), [&](int64_t r0, int64_t r1) { fn(p, r0, r1); });
    if (grads[2].defined()) grads[2] = grads[2].reshape(ctx->saved_data["os_shape"].toIntVector());
    if (grads[3].defined()) grads[3] = grads[3].reshape(ctx->saved_data["inv_shape"].toIntVector());
    return grads;
  }
};

}  // namespace

at::Tensor nvfp4_fake_quant_grouped(const at::Tensor& x, const at::Tensor& v, const at::Tensor& output_scale,
                                    const at::Tensor& inv_output_scale, bool grad_at_bounds) {
  const auto fp32 = [](const at::Tensor& t) { return t.defined() && t.scalar_type() == at::kFloat; };
  if (x.dim() != 2 || !fp32(x) || !x.is_cpu())
    throw std::invalid_argument("nvfp4_fake_quant_grouped: x must be fp32 [R, g] on the CPU");
  if (v.defined() && (!fp32(v) || !v.sizes().equals(x.sizes())))
    throw std::invalid_argument("nvfp4_fake_quant_grouped: v must be fp32 with the shape of x");
  if (!fp32(output_scale) || !fp32(inv_output_scale) || output_scale.numel() != x.size(0) ||
      inv_output_scale.numel() != x.size(0))
    throw std::invalid_argument("nvfp4_fake_quant_grouped: scales must be fp32 with one value per group");
  // LibTorch 1.13's custom Function cannot take an undefined input: no V = empty.
  return NvFp4FakeQuantFn::apply(x, v.defined() ? v : at::empty({0}, x.options()), output_scale, inv_output_scale,
                                 grad_at_bounds);
}

}  // namespace arecipe::qdq::fused
