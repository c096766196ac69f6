// One linear layer under SignRound: its original weight, the trainable tensors of
// spec 1.3 (rounding offsets V, clip factors α on the group min and β on the group
// max), the best values seen so far, and the sign-SGD step.
#pragma once
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/tune/gguf_layer.h"
#include "exporters/sink.h"
#include "schemes/qdq/int_qdq.h"

namespace arecipe::tune {

struct TunableLayer {
  std::string name;  // module name, "model.layers.0.self_attn.q_proj"
  exporters::LayerScheme scheme;
  qdq::IntSpec spec;
  at::Tensor weight;  // original weight [N, K], fp32
  at::Tensor bias;    // undefined when none
  // v / min_scale / max_scale are leaves with requires_grad; min/max_scale undefined
  // when minmax tuning is off. weight_min/max are the original group extremes.
  qdq::IntTuning params;
  qdq::IntTuning best;  // copies of the params at the best iteration
  double lr = 0, minmax_lr = 0;
  // Tuned GGUF: llama.cpp's frozen scales/mins for the layer's GGUF type; only V is
  // tuned (no α/β, spec 2.1 item 4). Null for the int schemes.
  std::shared_ptr<const GgufFixedScales> gguf;

  // Throws Error for data types the tuner does not handle yet (int only for now).
  static TunableLayer create(const std::string& name, const exporters::LayerScheme& scheme, const at::Tensor& weight,
                             const at::Tensor& bias, bool minmax_tuning, double lr, double minmax_lr);

  // A layer with a GGUF type: V only, over llama.cpp's scales (gguf_layer.h).
  static TunableLayer create_gguf(const std::string& name, const exporters::LayerScheme& scheme,
                                  GgufFixedScales scales, const at::Tensor& weight, const at::Tensor& bias, double lr);

  // The fake-quantized weight with the current params, differentiable w.r.t. them.
  // Clamps α/β to [0, 1] in place first, as upstream does before every use.
  at::Tensor fake_quant();
  // p -= lr * factor * sign(grad) for every param, then zeroes the gradients.
  void sign_step(double lr_factor);
  void remember_best();
  // The export view with the best params: fake-quant weight, scale, zero point.
  // GGUF layers: fake_quant is the decoded tuned weight, scale llama.cpp's sub-block scales.
  exporters::QuantizedLayer finalize(bool in_block) const;
  // GGUF layers: the encoded rows with the best offsets (llama.cpp's bytes at V = 0).
  std::vector<uint8_t> gguf_bytes() const;
};

}  // namespace arecipe::tune
