// The calibration set a tuning run feeds through the model: the recipe's
// `calibration:` sources sampled as upstream samples them (engine/text/calibration.h),
// as tensors, with upstream's loss mask.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "dsl/recipe.h"
#include "engine/text/calibration.h"
#include "engine/text/tokenizer.h"

namespace arecipe::tune {

struct CalibrationInputs {
  at::Tensor ids;        // [N, T] int64
  at::Tensor loss_mask;  // [N, T] fp32: 0 at pad tokens and at the last position, else 1
  text::CalibrationReport report;
};

// `file:` sources are local files or directories; `dataset:` sources are local paths too
// (with upstream's ":num=N:concat=true..." options) or a hub dataset id, whose `split:`
// (default train) and optional `config:` folder are fetched into the shared HF cache
// (engine/hub/dataset_snapshot.h) and read file by file in repository path order.
// Errors name the recipe location and say what to do. Throws Error.
CalibrationInputs load_calibration(const std::vector<dsl::CalibrationSource>& sources, const Tokenizer& tok,
                                   int nsamples, int seqlen, uint64_t seed);

// Upstream's per-sample loss mask (spec 1.2): pad positions and the last position of
// every sample never count in the block-output loss.
at::Tensor loss_mask_for(const at::Tensor& ids, std::optional<int64_t> pad_id);

}  // namespace arecipe::tune
