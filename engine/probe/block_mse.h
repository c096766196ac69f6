// A measured probe to set beside delta loss: for each candidate layer and option,
// quantize that layer alone (plain RTN, everything else full precision) and measure
// how far its block's output moves from the full-precision output on the calibration
// samples, masked as the tuner masks its loss (pad tokens and each sample's last
// position do not count):
//     score = sum(mask * (out_q - out_fp)^2) / (sum(mask) * hidden)
// lm_head is measured on the logits instead of a block output. Streamed along the FP
// chain: one block's weights and three activation tensors are resident.
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

#include "engine/probe/probe_layers.h"

namespace arecipe {
class Progress;
}

namespace arecipe::probe {

// Returns scores[option][layer]. loss_mask: [N, T] fp32 (tune::loss_mask_for).
// `progress` advances by one per block (+1 for the head).
std::vector<std::vector<double>> block_mse_scores(const Model& model, const std::vector<ProbeLayer>& layers,
                                                  const std::vector<exporters::LayerScheme>& schemes,
                                                  const at::Tensor& ids, const at::Tensor& loss_mask, int64_t batch,
                                                  Progress* progress = nullptr);

}  // namespace arecipe::probe
