// RTN quantization of one linear layer's weight into what the sinks take: the
// data-type dispatch shared by the model-free export path (model_export.cpp) and the
// block-streaming executor. Tuned paths build QuantizedLayer from their own results.
#pragma once
#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "exporters/sink.h"

namespace arecipe::exporters {

// w: [N, K] in the checkpoint's float dtype. Throws Error for a data type with no
// RTN quantizer. nv_global_scale: NVFP4 only, the global scale to quantize with
// (see nvfp4_global_scales); undefined → the layer's own 448·6/amax.
QuantizedLayer rtn_quantize_layer(const std::string& name, const LayerScheme& scheme, const at::Tensor& w,
                                  bool in_block, const at::Tensor& nv_global_scale = {});

// Upstream (AR_NVFP4_FUSED_LAYER_GLOBAL_SCALE=1, its default) quantizes q/k/v of one
// attention module, gate/up of one MLP (and MoE w1/w3) with one global scale: the
// minimum of their own. The fusion key of a layer name ("model.layers.0.self_attn"
// + "#qkv"), or "" for a layer that is not fused.
std::string nvfp4_fusion_key(const std::string& layer_name);

// name → weight of every NVFP4-quantized layer of (at least) one block; returns
// name → the fp32 global scale upstream quantizes that layer with.
std::map<std::string, at::Tensor> nvfp4_global_scales(const std::map<std::string, at::Tensor>& weights);

}  // namespace arecipe::exporters
