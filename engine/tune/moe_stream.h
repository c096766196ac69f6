// Tuning a mixture-of-experts block without holding all its routed experts (docs/tuning.md,
// "MoE blocks"). Upstream tunes every linear of a block together on the block's
// output error (spec 1.10): all experts' weights, rounding offsets, best copies and
// gradients resident at once, about 45 GiB of weights alone per DeepSeek-R1 block in
// fp32. When that does not fit, the block is tuned in parts, each on the error it sees:
//   1. attention (+ the router, RTN when a rule quantizes it): the residual stream after
//      attention against the FP chain's;
//   2. each routed expert, loaded alone: its gated output on the tokens the quantized
//      chain routes to it, against the FP expert on the same tokens (an expert no token
//      reaches stays RTN, as upstream's zero gradient leaves it);
//   3. the shared experts: the block's output against the FP block's, with attention and
//      every routed expert already quantized, so they absorb what those left.
// The FP reference and the quantized chain also run expert by expert. Each part's
// results go to the sinks and the resume state as soon as it is done, so peak memory is
// the non-expert weights, one expert's tuning state and the activations.
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

#include "autoscheme/tuning_settings.h"
#include "engine/model/model.h"
#include "engine/tune/run_state.h"
#include "engine/tune/signround.h"
#include "exporters/model_export.h"

namespace arecipe::tune {

struct MoeStreamJob {
  const Model* model = nullptr;
  int block = 0;
  const BlockWeights* base = nullptr;  // the block without its routed experts (fp32)
  const ForwardContext* ctx = nullptr;
  at::Tensor x_fp;       // [N, T, H] the FP chain's inputs
  at::Tensor x_in;       // [N, T, H] the tuning inputs (the quantized chain, or x_fp)
  at::Tensor loss_mask;  // [N, T]
  const autoscheme::TuningSettings* settings = nullptr;
  uint64_t seed = 42;
  int64_t forward_batch = 8;
  // The decision for a module ("...experts.7.up_proj"), nullptr when it stays float.
  std::function<const exporters::LayerDecision*(const std::string& module)> decision;
  std::function<at::Tensor(const std::string& module)> bias_of;  // undefined when none
  // Each part's final layers, as soon as the part is done (the export sinks).
  std::function<void(const std::vector<exporters::QuantizedLayer>&)> emit;
  RunState* state = nullptr;  // parts are saved here
  bool replay = false;        // finished before an interruption: load the parts, tune nothing
  bool show_progress = true;
};

struct MoeStreamResult {
  at::Tensor fp_out;  // the FP block on x_fp: the next block's FP inputs
  at::Tensor q_out;   // the quantized block on x_in: the next block's tuning inputs
  double rtn_loss = 0, best_loss = 0;  // summed over the tuned parts
  int layers = 0;
  int experts_without_tokens = 0;
};

MoeStreamResult stream_moe_block(const MoeStreamJob& job);

// Bytes of memory per routed-expert weight element that tuning a block jointly holds
// (fp32 weight, offsets and their best copy, gradients, fake-quant outputs, autograd's
// saved tensors), the larger of two measurements: 21.4 at real DeepSeek-R1 width
// (docs/deepseek-r1-estimate.md) and 34 on the 64-expert test model (836 MiB of peak
// RSS for 25.2 M expert weights, tests/tune/streamed_experts.sh). `tuning.experts: auto`
// compares it with the machine's memory.
constexpr double kJointBytesPerExpertWeight = 34.0;

}  // namespace arecipe::tune
