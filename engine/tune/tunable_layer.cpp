#include "engine/tune/tunable_layer.h"

#include <ATen/ATen.h>

#include "engine/util/error.h"
#include "engine/util/torch_compat.h"
#include "schemes/qdq/fused/fake_quant.h"
#include "schemes/qdq/group_reshape.h"

namespace arecipe::tune {
namespace {

at::Tensor trainable(at::Tensor t) {
  t.set_requires_grad(true);
  return t;
}

at::Tensor copy_of(const at::Tensor& t) { return t.defined() ? t.detach().clone() : t; }

void step(at::Tensor& p, double lr) {
  if (!p.defined()) return;
  at::Tensor g = p.grad();
  if (g.defined()) {
    p.sub_(at::sign(g) * lr);  // sign-SGD; sign(0) = 0 leaves untouched params alone
    g.zero_();
  }
}

void clamp_unit(const at::Tensor& p) {
  if (p.defined()) p.clamp_(0.0, 1.0);
}

}  // namespace

TunableLayer TunableLayer::create(const std::string& name, const exporters::LayerScheme& scheme,
                                  const at::Tensor& weight, const at::Tensor& bias, bool minmax_tuning, double lr,
                                  double minmax_lr) {
  if (scheme.data_type != "int")
    throw Error("layer " + name + ": SignRound tuning of data type '" + scheme.data_type +
                "' is not implemented yet (int only); use tuning: {preset: rtn} for it");
  TunableLayer l;
  l.name = name;
  l.scheme = scheme;
  l.spec = {scheme.bits, scheme.group_size, scheme.sym};
  l.weight = weight.to(at::kFloat).contiguous();
  l.bias = bias;
  l.lr = lr;
  l.minmax_lr = minmax_lr;
  NoGradGuard no_grad;
  const qdq::Grouped g = qdq::group_rows(l.weight, scheme.group_size);
  // Upstream computes the group range once, from the original weight (spec 1.3).
  l.params.weight_min = at::clamp_max(std::get<0>(g.data.min(-1)), 0);
  l.params.weight_max = at::clamp_min(std::get<0>(g.data.max(-1)), 0);
  l.params.v = trainable(at::zeros(g.data.sizes(), at::kFloat));
  if (minmax_tuning) {
    l.params.min_scale = trainable(at::ones({g.data.size(0)}, at::kFloat));
    l.params.max_scale = trainable(at::ones({g.data.size(0)}, at::kFloat));
  }
  l.remember_best();
  return l;
}

TunableLayer TunableLayer::create_gguf(const std::string& name, const exporters::LayerScheme& scheme,
                                       GgufFixedScales scales, const at::Tensor& weight, const at::Tensor& bias, double lr) {
  TunableLayer l;
  l.name = name;
  l.scheme = scheme;
  l.weight = weight.to(at::kFloat).contiguous();
  l.bias = bias;
  l.lr = lr;
  l.gguf = std::make_shared<const GgufFixedScales>(std::move(scales));
  l.params.v = trainable(at::zeros(l.weight.sizes(), at::kFloat));
  l.remember_best();
  return l;
}

at::Tensor TunableLayer::fake_quant() {
  if (gguf) return gguf->fake_quant(params.v);
  {
    NoGradGuard no_grad;
    clamp_unit(params.min_scale);
    clamp_unit(params.max_scale);
  }
  // The fused kernels: same value as qdq_int, upstream's gradients (torch 2.x clamp
  // rule at the grid bounds, whichever LibTorch is linked).
  return qdq::fake_quant_int(weight, spec, params);
}

void TunableLayer::sign_step(double lr_factor) {
  NoGradGuard no_grad;
  step(params.v, lr * lr_factor);
  step(params.min_scale, minmax_lr * lr_factor);
  step(params.max_scale, minmax_lr * lr_factor);
}

void TunableLayer::remember_best() {
  best.v = copy_of(params.v);
  best.min_scale = copy_of(params.min_scale);
  best.max_scale = copy_of(params.max_scale);
  best.weight_min = params.weight_min;
  best.weight_max = params.weight_max;
}

exporters::QuantizedLayer TunableLayer::finalize(bool in_block) const {
  NoGradGuard no_grad;
  if (gguf) return {name, scheme, gguf->fake_quant(best.v), gguf->scale().squeeze(-1), {}, bias, in_block};
  qdq::IntTuning t = best;
  clamp_unit(t.min_scale);
  clamp_unit(t.max_scale);
  qdq::IntQdq r = qdq::qdq_int(weight, spec, t);
  exporters::QuantizedLayer q{name, scheme, r.qdq, r.scale, {}, bias, in_block};
  if (!scheme.sym) q.zp = r.zp_float;
  return q;
}

std::vector<uint8_t> TunableLayer::gguf_bytes() const {
  if (!gguf) throw Error("layer " + name + ": not a GGUF layer");
  return gguf->bytes(best.v);
}

}  // namespace arecipe::tune
