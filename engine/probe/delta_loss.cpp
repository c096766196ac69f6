#include "engine/probe/delta_loss.h"

#include <ATen/ATen.h>

#include <cmath>

#include "engine/util/error.h"
#include "engine/util/progress.h"
#include "engine/util/torch_compat.h"

namespace arecipe::probe {
namespace {

// One candidate layer during a pass: the full-precision weight and its RTN copy.
struct Quantized {
  size_t index;  // into the caller's layer list
  std::string weight_name;
  at::Tensor w, w_hat, diff;  // diff = W - W^, fixed for the pass
};

Quantized quantize(const ProbeLayer& l, size_t index, const at::Tensor& w, const exporters::LayerScheme& s) {
  Quantized q{index, l.name + ".weight", w, rtn_fake_quant(l.name, s, w), {}};
  q.diff = q.w - q.w_hat;
  return q;
}

// |dL/dW^ * (W - W^)| summed, then W^'s gradient cleared for the next batch: upstream
// takes the absolute value per batch, so gradients must not accumulate across batches.
double take_score(Quantized& q) {
  at::Tensor g = q.w_hat.grad();
  if (!g.defined()) return 0.0;  // the layer did not influence the loss
  const double s = (g * q.diff).abs().sum().item<double>();
  g.zero_();
  return s;
}

void check_finite(double v, const std::string& where) {
  if (!std::isfinite(v)) throw Error("sensitivity probe: " + where + " is " + std::to_string(v) + " (NaN/Inf)");
}

}  // namespace

at::Tensor causal_lm_loss(const at::Tensor& logits, const at::Tensor& ids) {
  const int64_t t = logits.size(1);
  const at::Tensor pred = logits.slice(1, 0, t - 1).to(at::kFloat).reshape({-1, logits.size(2)});
  const at::Tensor target = ids.slice(1, 1, t).reshape({-1});
  return at::nll_loss(at::log_softmax(pred, -1), target);  // mean reduction, as upstream
}

namespace {

// One streamed pass over `ids` (a chunk of the calibration samples), adding each
// batch's scores to `scores`.
void score_chunk(const Model& model, const std::vector<ProbeLayer>& layers, const exporters::LayerScheme& scheme,
                 const at::Tensor& ids, int64_t batch, std::vector<double>& scores, Progress* progress) {
  const Architecture& arch = model.arch();
  const int nb = model.num_blocks();
  const int64_t n = ids.size(0);
  const ForwardContext ctx = arch.make_context(ids.size(1));
  auto tick = [&] {
    if (progress) progress->advance(1);
  };
  // The block's weights with every candidate layer replaced by its RTN copy; with
  // `leaves`, the copies are autograd leaves whose gradient is dL/dW^.
  auto load_quantized = [&](int b, bool leaves, std::vector<Quantized>& q) {
    BlockWeights w = model.load_block(b);
    for (size_t i = 0; i < layers.size(); ++i) {
      if (layers[i].block != b) continue;
      q.push_back(quantize(layers[i], i, w.get(layers[i].name + ".weight"), scheme));
      if (leaves) q.back().w_hat.set_requires_grad(true);
      w.set(q.back().weight_name, q.back().w_hat);
    }
    return w;
  };

  // Forward through the quantized chain, keeping each block's input.
  std::vector<at::Tensor> inputs(nb);
  at::Tensor hidden;
  {
    NoGradGuard no_grad;
    hidden = model.embed(ids);
    for (int b = 0; b < nb; ++b) {
      std::vector<Quantized> q;
      const BlockWeights w = load_quantized(b, false, q);
      inputs[b] = hidden;
      hidden = block_forward_batched(arch, b, w, hidden, ctx, batch);
      tick();
    }
  }

  // Head: final norm + lm_head (quantized when it is a candidate) + loss, per batch.
  const at::Tensor norm_w = model.load(arch.final_norm_name());
  std::vector<Quantized> head;
  for (size_t i = 0; i < layers.size(); ++i)
    if (layers[i].block < 0) {
      head.push_back(quantize(layers[i], i, model.load(layers[i].name + ".weight"), scheme));
      head.back().w_hat.set_requires_grad(true);
    }
  const at::Tensor head_w = head.empty() ? model.load(arch.lm_head_name()) : head.front().w_hat;
  at::Tensor grad = at::empty_like(hidden);
  for (int64_t s = 0; s < n; s += batch) {
    const int64_t e = std::min(s + batch, n);
    const at::Tensor h = hidden.slice(0, s, e).detach().requires_grad_(true);
    const at::Tensor loss = causal_lm_loss(at::linear(arch.final_norm(h, norm_w), head_w), ids.slice(0, s, e));
    check_finite(loss.item<double>(), "the calibration loss");
    loss.backward();
    grad.slice(0, s, e).copy_(h.grad());
    for (Quantized& q : head) scores[q.index] += take_score(q);
  }
  hidden = at::Tensor();
  tick();

  // Replay the backward block by block, last to first.
  for (int b = nb - 1; b >= 0; --b) {
    std::vector<Quantized> q;
    const BlockWeights w = load_quantized(b, true, q);
    at::Tensor grad_in = at::empty_like(grad);
    for (int64_t s = 0; s < n; s += batch) {
      const int64_t e = std::min(s + batch, n);
      const at::Tensor x = inputs[b].slice(0, s, e).detach().requires_grad_(true);
      arch.block_forward(b, w, x, ctx).backward(grad.slice(0, s, e));
      grad_in.slice(0, s, e).copy_(x.grad());
      for (Quantized& l : q) scores[l.index] += take_score(l);
    }
    inputs[b] = at::Tensor();  // released as soon as it is consumed
    grad = grad_in;
    tick();
  }
}

}  // namespace

int64_t delta_loss_chunks(int64_t samples, int64_t batch, int64_t resident_samples) {
  if (resident_samples <= 0 || resident_samples >= samples) return 1;
  const int64_t chunk = std::max(batch, resident_samples / batch * batch);
  return (samples + chunk - 1) / chunk;
}

std::vector<double> delta_loss_scores(const Model& model, const std::vector<ProbeLayer>& layers,
                                      const exporters::LayerScheme& scheme, const at::Tensor& ids, int64_t batch,
                                      int64_t resident_samples, Progress* progress) {
  if (ids.dim() != 2 || ids.size(0) == 0 || ids.size(1) < 2)
    throw Error("sensitivity probe: calibration ids must be [samples, seqlen >= 2]");
  if (batch <= 0) throw Error("sensitivity probe: batch size must be positive");
  const int64_t n = ids.size(0);
  // Chunks are whole batches, so every batch's loss, gradient and |.| are the same
  // as in one pass: the scores do not depend on the chunking (up to summation order).
  const int64_t chunks = delta_loss_chunks(n, batch, resident_samples);
  const int64_t chunk = chunks == 1 ? n : std::max(batch, resident_samples / batch * batch);
  std::vector<double> scores(layers.size(), 0.0);
  for (int64_t s = 0; s < n; s += chunk)
    score_chunk(model, layers, scheme, ids.slice(0, s, std::min(s + chunk, n)), batch, scores, progress);
  for (size_t i = 0; i < layers.size(); ++i) check_finite(scores[i], "the score of " + layers[i].name);
  return scores;
}

}  // namespace arecipe::probe
