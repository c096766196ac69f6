// SignRound on one block (spec 1.5, 1.6): sign-gradient descent on each layer's
// rounding offsets and clip factors so that the block's output on the tuning inputs
// matches the full-precision block's output. The best iteration (by the loss measured
// before its step; iteration 0 is RTN) is kept.
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "autoscheme/tuning_settings.h"
#include "engine/model/architecture.h"
#include "engine/tune/tunable_layer.h"

namespace arecipe::tune {

struct BlockTuneStats {
  double rtn_loss = 0;   // iteration 0 (V = 0, α = β = 1)
  double best_loss = 0;
  int best_iter = 0;
  double last_loss = 0;
};

struct BlockTuneJob {
  const Architecture* arch = nullptr;
  int block = 0;
  const BlockWeights* weights = nullptr;  // the block's FP weights (fp32)
  std::vector<TunableLayer>* layers = nullptr;
  const ForwardContext* ctx = nullptr;
  at::Tensor inputs;     // [N, T, H] tuning inputs (the quantized chain)
  at::Tensor targets;    // [N, T, H] FP block outputs
  at::Tensor loss_mask;  // [N, T]
  const autoscheme::TuningSettings* settings = nullptr;
  uint64_t seed = 42;
  // Called after every iteration (progress display); may be empty.
  std::function<void(int iter, double loss)> on_iter;
};

BlockTuneStats signround_block(const BlockTuneJob& job);

// What SignRound minimises for a set of layers, in general: the squared error of some
// forward pass over the calibration samples `idx`, computed with the layers' current
// fake-quant weights. signround_block builds it for a whole block; the MoE streamer
// (moe_stream.h) for one part of a block or one routed expert.
struct TuneObjective {
  std::string what;  // "block 3", "block 3 expert 17": named in errors
  int64_t nsamples = 0;
  // pred * mask - target * mask over samples `idx`, differentiable w.r.t. the layers'
  // params; an empty tensor when no position of those samples counts (an expert no
  // token of the batch was routed to: no gradient, the layer keeps its values).
  std::function<at::Tensor(const at::Tensor& idx)> masked_error;
  // The counted positions of the samples (upstream's num_elm): divides the reported
  // loss, so the best-iteration test compares batches of different sizes fairly.
  std::function<double(const at::Tensor& idx)> valid_positions;
};

BlockTuneStats signround_tune(const TuneObjective& objective, std::vector<TunableLayer>& layers,
                              const autoscheme::TuningSettings& settings, uint64_t seed,
                              const std::function<void(int iter, double loss)>& on_iter = {});

// The block's weights with every tunable layer's weight replaced by `weight_of(layer)`.
BlockWeights with_layer_weights(const BlockWeights& fp, std::vector<TunableLayer>& layers,
                                const std::function<at::Tensor(TunableLayer&)>& weight_of);

}  // namespace arecipe::tune
