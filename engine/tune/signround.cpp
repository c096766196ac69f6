#include "engine/tune/signround.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "engine/tune/index_sampler.h"
#include "engine/util/error.h"
#include "engine/util/torch_compat.h"

namespace arecipe::tune {

BlockWeights with_layer_weights(const BlockWeights& fp, std::vector<TunableLayer>& layers,
                                const std::function<at::Tensor(TunableLayer&)>& weight_of) {
  BlockWeights w = fp;
  for (TunableLayer& l : layers) w.set(l.name + ".weight", weight_of(l));
  return w;
}

BlockTuneStats signround_block(const BlockTuneJob& job) {
  TuneObjective o;
  o.what = "block " + std::to_string(job.block);
  o.nsamples = job.inputs.size(0);
  o.masked_error = [&job](const at::Tensor& idx) {
    const at::Tensor x = job.inputs.index_select(0, idx);
    const at::Tensor ref = job.targets.index_select(0, idx);
    const at::Tensor m = job.loss_mask.index_select(0, idx).unsqueeze(-1);
    const BlockWeights wq = with_layer_weights(*job.weights, *job.layers, [](TunableLayer& l) { return l.fake_quant(); });
    const at::Tensor pred = job.arch->block_forward(job.block, wq, x, *job.ctx);
    return pred * m - ref * m;
  };
  o.valid_positions = [&job](const at::Tensor& idx) {
    return job.loss_mask.index_select(0, idx).count_nonzero().item<double>();
  };
  return signround_tune(o, *job.layers, *job.settings, job.seed, job.on_iter);
}

BlockTuneStats signround_tune(const TuneObjective& o, std::vector<TunableLayer>& layers,
                              const autoscheme::TuningSettings& s, uint64_t seed,
                              const std::function<void(int iter, double loss)>& on_iter) {
  const int64_t nsamples = o.nsamples;
  const int64_t batch = std::min<int64_t>(s.batch_size, nsamples);
  const int64_t global = std::min<int64_t>(nsamples, batch * s.gradient_accumulate_steps);
  IndexSampler sampler(nsamples, global, seed);
  const bool sum_reduction = s.gradient_accumulate_steps != 1;

  BlockTuneStats stats;
  stats.best_loss = std::numeric_limits<double>::max();
  for (int i = 0; i < s.iters; ++i) {
    const std::vector<int64_t> indices = sampler.next_batch();
    const at::Tensor all = at::tensor(indices, at::kLong);
    // Upstream divides the tracked loss by the number of valid (unmasked) tokens of
    // the global batch; it only scales the reported value and the best-iteration test.
    double num_elm = o.valid_positions(all);
    if (num_elm <= 0) num_elm = 1;
    double total_loss = 0;
    bool measured = false;  // an iteration that saw no counted position is no candidate
    for (int64_t start = 0; start < global; start += batch) {
      const at::Tensor idx = all.slice(0, start, std::min<int64_t>(start + batch, global));
      const at::Tensor diff = o.masked_error(idx);
      if (diff.numel() == 0) continue;
      measured = true;
      const at::Tensor loss = sum_reduction ? diff.pow(2).sum() : diff.pow(2).mean();
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        throw Error(o.what + ": the tuning loss is " + std::to_string(value) + " at iteration " + std::to_string(i) +
                    " (NaN/Inf in weights or activations)");
      total_loss += value / num_elm;
      (loss * 1000.0).backward();  // upstream's scaling; irrelevant to the sign
    }
    if (i == 0) stats.rtn_loss = total_loss;
    if (measured && total_loss < stats.best_loss) {
      stats.best_loss = total_loss;
      stats.best_iter = i;
      for (TunableLayer& l : layers) l.remember_best();
    }
    stats.last_loss = total_loss;
    // LinearLR(1 -> 0 over iters), stepped after each optimizer step.
    const double factor = 1.0 - static_cast<double>(i) / s.iters;
    for (TunableLayer& l : layers) l.sign_step(factor);
    if (on_iter) on_iter(i, total_loss);
  }
  // No iteration measured anything (an expert no calibration token reached): the
  // layers keep their initial (RTN) values, remembered at creation.
  if (stats.best_loss == std::numeric_limits<double>::max()) stats.best_loss = stats.rtn_loss;
  return stats;
}

}  // namespace arecipe::tune
