// What the probes share: the candidate layers located in the model, the option
// schemes they can score, and the plain-RTN fake-quant they score with. The score
// functions themselves are in delta_loss.h and block_mse.h; sensitivity.h is the
// public entry point (calibration, cache, table).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "engine/model/model.h"
#include "exporters/sink.h"

namespace arecipe::probe {

struct ProbeLayer {
  std::string name;  // module name ("model.layers.0.mlp.down_proj", "lm_head")
  int block = -1;    // -1: outside the blocks (lm_head), applied by the head
};

// The candidate layers of `names` as the model's inventory knows them. Throws Error
// for an empty list, a name the inventory lacks (with the nearest names), duplicates.
std::vector<ProbeLayer> resolve_layers(const Model& model, const std::vector<std::string>& names);

// True for options that store 16 bits (BF16 ...): they score 0 without a pass.
bool is_unquantized_option(const std::string& option);

// The weight-only scheme of an option preset name. Throws Error for an unknown name
// and for options the probes cannot score yet: activation quantization (MXFP4,
// NVFP4 ...: upstream scores those through the activation error) and GGUF types
// (upstream uses llama.cpp's search there, not plain RTN).
exporters::LayerScheme probe_scheme(const std::string& option);

// Plain RTN quantize-dequantize (spec 7.2: V = 0, alpha = beta = 1) through the same
// data-type dispatch the exporters use, so the probe sees exactly the weights an RTN
// export would store. w: fp32 [N, K]; returns fp32.
at::Tensor rtn_fake_quant(const std::string& name, const exporters::LayerScheme& s, const at::Tensor& w);

}  // namespace arecipe::probe
