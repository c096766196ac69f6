// Upstream's AutoScheme score (spec 7.2, auto_round/auto_scheme/delta_loss.py):
// every candidate layer fake-quantized with one option by plain RTN, the causal-LM
// cross-entropy of the calibration samples (labels = input ids), and per layer
//     score = sum over batches of sum |dL/dW^ * (W - W^)|
// (the absolute value is taken per batch, as upstream accumulates it).
//
// Block-streamed like upstream's low_gpu_mem_usage path, but over all samples per
// block so each block is loaded twice per option instead of twice per batch:
//   forward: embeddings -> each block with its quantized weights, no autograd,
//            keeping every block's input (the quantized chain);
//   head:    final norm + lm_head + loss per batch, backward to the last hidden;
//   replay:  blocks last to first: load the block, recompute its forward from the
//            stored input with W^ as autograd leaves, backward with the incoming
//            gradient, accumulate the scores, hand the input gradient down.
// Resident: one block's weights + (blocks + 2) activation tensors [N, T, hidden]
// (N = all samples, or resident_samples when set: upstream holds one batch).
#pragma once
#include <ATen/core/Tensor.h>

#include <vector>

#include "engine/probe/probe_layers.h"

namespace arecipe {
class Progress;
}

namespace arecipe::probe {

// ids: [N, T] int64. Returns one score per entry of `layers`.
// resident_samples > 0 caps the samples whose block inputs are held at once (rounded
// down to whole batches, at least one): the pass runs chunk by chunk, loading every
// block once more per chunk, with the same scores. 0 = all samples in one chunk.
// `progress` (optional) advances by one per block visited: chunks x (2 x blocks + 1).
std::vector<double> delta_loss_scores(const Model& model, const std::vector<ProbeLayer>& layers,
                                      const exporters::LayerScheme& scheme, const at::Tensor& ids, int64_t batch,
                                      int64_t resident_samples = 0, Progress* progress = nullptr);

// How many chunks delta_loss_scores runs for these settings.
int64_t delta_loss_chunks(int64_t samples, int64_t batch, int64_t resident_samples);

// Upstream's loss (transformers' ForCausalLMLoss with labels = input ids): logits
// [B, T, V] against ids shifted by one, mean over the B x (T - 1) predicted tokens.
at::Tensor causal_lm_loss(const at::Tensor& logits, const at::Tensor& ids);

}  // namespace arecipe::probe
