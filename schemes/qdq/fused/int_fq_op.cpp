#include "schemes/qdq/fused/int_fq_op.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "schemes/qdq/fused/int_fq_kernels.h"

namespace arecipe::qdq::fused {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// LibTorch 1.13's custom Function cannot take undefined tensors as inputs, so an
// absent V / zp travels as an empty tensor.
bool present(const at::Tensor& x) { return x.defined() && x.numel() != 0; }
at::Tensor or_empty(const at::Tensor& x, const at::Tensor& like) {
  return x.defined() ? x : at::empty({0}, like.options());
}

at::Tensor per_group(const at::Tensor& x, int64_t rows, const char* what) {
  if (!present(x)) return at::Tensor();
  if (x.scalar_type() != at::kFloat || x.numel() != rows)
    throw std::invalid_argument(std::string("int_fake_quant_grouped: ") + what + " must be fp32 with one value per group");
  return x.reshape({rows}).contiguous();
}

IntFqInputs prepare(const at::Tensor& t, const at::Tensor& v, const at::Tensor& s_in, const at::Tensor& s_out,
                    const at::Tensor& zp, bool sym) {
  if (t.dim() != 2 || t.scalar_type() != at::kFloat)
    throw std::invalid_argument("int_fake_quant_grouped: t must be fp32 [R, g]");
  if (present(v) && (v.scalar_type() != at::kFloat || !v.sizes().equals(t.sizes())))
    throw std::invalid_argument("int_fake_quant_grouped: v must be fp32 with the shape of t");
  if (sym == present(zp))
    throw std::invalid_argument("int_fake_quant_grouped: zp is required for asym and must be absent for sym");
  const int64_t rows = t.size(0);
  return {t.contiguous(), present(v) ? v.contiguous() : at::Tensor(), per_group(s_in, rows, "scale_in"),
          per_group(s_out, rows, "scale_out"), per_group(zp, rows, "zp")};
}

at::Tensor run_forward(const IntFqInputs& in, IntGrid grid) {
  if (in.t.is_cpu()) return int_fq_forward_cpu(in, grid);
#ifdef ARECIPE_HAVE_CUDA_KERNELS
  if (in.t.is_cuda()) return int_fq_forward_cuda(in, grid);
#endif
  throw std::invalid_argument("int_fake_quant_grouped: no fused kernel for device " + in.t.device().str());
}

IntFqGrads run_backward(const at::Tensor& go, const IntFqInputs& in, IntGrid grid, IntFqWanted want) {
  if (in.t.is_cpu()) return int_fq_backward_cpu(go, in, grid, want);
#ifdef ARECIPE_HAVE_CUDA_KERNELS
  if (in.t.is_cuda()) return int_fq_backward_cuda(go, in, grid, want);
#endif
  throw std::invalid_argument("int_fake_quant_grouped: no fused kernel for device " + in.t.device().str());
}

at::Tensor shaped_like(const at::Tensor& grad, const c10::IValue& shape) {
  return grad.defined() ? grad.reshape(shape.toIntVector()) : grad;
}

class IntFakeQuantFn : public torch::autograd::Function<IntFakeQuantFn> {
 public:
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& t, const at::Tensor& v,
                            const at::Tensor& scale_in, const at::Tensor& scale_out, const at::Tensor& zp,
                            int64_t bits, bool sym, bool ste, bool grad_at_bounds) {
    const IntFqInputs in = prepare(t, v, scale_in, scale_out, zp, sym);
    // Backward recomputes t/a + v and the rounding from the inputs (already alive as
    // the caller's tensors) instead of saving [R, g] intermediates.
    ctx->save_for_backward({in.t, or_empty(in.v, t), in.scale_in, in.scale_out, or_empty(in.zp, t)});
    ctx->saved_data["bits"] = bits;
    ctx->saved_data["sym"] = sym;
    ctx->saved_data["ste"] = ste;
    ctx->saved_data["grad_at_bounds"] = grad_at_bounds;
    ctx->saved_data["scale_in_shape"] = scale_in.sizes().vec();
    ctx->saved_data["scale_out_shape"] = scale_out.sizes().vec();
    if (present(zp)) ctx->saved_data["zp_shape"] = zp.sizes().vec();
    return run_forward(in, int_grid(static_cast<int>(bits), sym, ste, grad_at_bounds));
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    const IntFqInputs in{saved[0], present(saved[1]) ? saved[1] : at::Tensor(), saved[2], saved[3],
                         present(saved[4]) ? saved[4] : at::Tensor()};
    const bool sym = ctx->saved_data["sym"].toBool();
    const IntGrid grid =
        int_grid(static_cast<int>(ctx->saved_data["bits"].toInt()), sym, ctx->saved_data["ste"].toBool(),
                 ctx->saved_data["grad_at_bounds"].toBool());
    variable_list grads(9);
    const at::Tensor& go = grad_outputs[0];
    if (!go.defined()) return grads;
    IntFqWanted want;
    want.t = ctx->needs_input_grad(0);
    want.v = in.v.defined() && ctx->needs_input_grad(1);
    want.scale_in = ctx->needs_input_grad(2);
    want.scale_out = ctx->needs_input_grad(3);
    want.zp = !sym && ctx->needs_input_grad(4);
    const IntFqGrads g = run_backward(go.to(at::kFloat).contiguous(), in, grid, want);
    grads[0] = g.t;
    grads[1] = g.v;
    grads[2] = shaped_like(g.scale_in, ctx->saved_data["scale_in_shape"]);
    grads[3] = shaped_like(g.scale_out, ctx->saved_data["scale_out_shape"]);
    if (g.zp.defined()) grads[4] = shaped_like(g.zp, ctx->saved_data["zp_shape"]);
    return grads;
  }
};

}  // namespace

bool linked_torch_clamp_grad_at_bounds() {
  static const bool at_bounds = [] {
    at::Tensor x = torch::tensor({1.0f}).requires_grad_();
    torch::autograd::AutoGradMode on(true);
    at::clamp(x, 1.0, 2.0).backward();
    return x.grad().item<float>() != 0.f;
  }();
  return at_bounds;
}

bool supports_device(const at::Tensor& t) { return t.is_cpu() || (t.is_cuda() && have_cuda_kernels()); }

at::Tensor int_fake_quant_grouped(const at::Tensor& t, const at::Tensor& v, const at::Tensor& scale_in,
                                  const at::Tensor& scale_out, const at::Tensor& zp, int bits, bool sym,
                                  bool ste, bool grad_at_bounds) {
  if (bits < 2 || bits > 8)
    throw std::invalid_argument("int_fake_quant_grouped: bits must be in 2..8, got " + std::to_string(bits));
  return IntFakeQuantFn::apply(t, or_empty(v, t), scale_in, scale_out, or_empty(zp, t), static_cast<int64_t>(bits),
                               sym, ste, grad_at_bounds);
}

}  // namespace arecipe::qdq::fused
