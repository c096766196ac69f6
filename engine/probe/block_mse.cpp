#include "engine/probe/block_mse.h"

#include <ATen/ATen.h>

#include <cmath>
#include <functional>

#include "engine/util/error.h"
#include "engine/util/progress.h"
#include "engine/util/torch_compat.h"

namespace arecipe::probe {
namespace {

// sum(mask * (a - b)^2) over a batch slice, in double.
double masked_sq(const at::Tensor& a, const at::Tensor& b, const at::Tensor& mask) {
  return ((a - b).pow(2) * mask.unsqueeze(-1)).sum().item<double>();
}

}  // namespace

std::vector<std::vector<double>> block_mse_scores(const Model& model, const std::vector<ProbeLayer>& layers,
                                                  const std::vector<exporters::LayerScheme>& schemes,
                                                  const at::Tensor& ids, const at::Tensor& loss_mask, int64_t batch,
                                                  Progress* progress) {
  if (ids.dim() != 2 || ids.size(0) == 0 || !loss_mask.defined() || loss_mask.sizes() != ids.sizes())
    throw Error("sensitivity probe: calibration ids and loss mask must both be [samples, seqlen]");
  if (batch <= 0) throw Error("sensitivity probe: batch size must be positive");
  NoGradGuard no_grad;
  const Architecture& arch = model.arch();
  const int64_t n = ids.size(0);
  const double valid = loss_mask.sum().item<double>();
  if (valid <= 0) throw Error("sensitivity probe: every calibration token is masked");
  const ForwardContext ctx = arch.make_context(ids.size(1));
  std::vector<std::vector<double>> scores(schemes.size(), std::vector<double>(layers.size(), 0.0));

  // Quantizes layer i alone with each option and scores `run(weight)` against `ref`.
  auto score_layer = [&](size_t i, const at::Tensor& w, const std::function<at::Tensor(const at::Tensor&, int64_t, int64_t)>& run,
                         const at::Tensor& ref_all, int64_t width) {
    for (size_t k = 0; k < schemes.size(); ++k) {
      const at::Tensor w_hat = rtn_fake_quant(layers[i].name, schemes[k], w);
      double sum = 0;
      for (int64_t s = 0; s < n; s += batch) {
        const int64_t e = std::min(s + batch, n);
        const at::Tensor ref = ref_all.defined() ? ref_all.slice(0, s, e) : run(w, s, e);
        sum += masked_sq(run(w_hat, s, e), ref, loss_mask.slice(0, s, e));
      }
      scores[k][i] = sum / (valid * static_cast<double>(width));
      if (!std::isfinite(scores[k][i]))
        throw Error("sensitivity probe: the block-output error of " + layers[i].name + " is not finite");
    }
  };

  at::Tensor x = model.embed(ids);
  for (int b = 0; b < model.num_blocks(); ++b) {
    const BlockWeights fp = model.load_block(b);
    const at::Tensor ref = block_forward_batched(arch, b, fp, x, ctx, batch);
    for (size_t i = 0; i < layers.size(); ++i) {
      if (layers[i].block != b) continue;
      const std::string wname = layers[i].name + ".weight";
      auto run = [&](const at::Tensor& weight, int64_t s, int64_t e) {
        BlockWeights w = fp;
        w.set(wname, weight);
        return arch.block_forward(b, w, x.slice(0, s, e), ctx);
      };
      score_layer(i, fp.get(wname), run, ref, x.size(2));
    }
    x = ref;
    if (progress) progress->advance(1);
  }
  // lm_head: the logits are [N, T, vocab], too large to keep; the reference is
  // recomputed per batch instead.
  const at::Tensor normed = arch.final_norm(x, model.load(arch.final_norm_name()));
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].block >= 0) continue;
    auto run = [&](const at::Tensor& weight, int64_t s, int64_t e) { return at::linear(normed.slice(0, s, e), weight); };
    score_layer(i, model.load(layers[i].name + ".weight"), run, at::Tensor(), model.config().vocab_size);
  }
  if (progress) progress->advance(1);
  return scores;
}

}  // namespace arecipe::probe
