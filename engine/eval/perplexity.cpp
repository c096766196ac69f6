#include "engine/eval/perplexity.h"

#include <ATen/ATen.h>

#include <cmath>

#include "engine/model/model.h"
#include "engine/util/error.h"
#include "engine/util/torch_compat.h"
#include "engine/util/progress.h"

namespace arecipe {

std::vector<std::vector<int64_t>> perplexity_windows(const std::vector<int64_t>& ids,
                                                     std::optional<int64_t> bos,
                                                     const PerplexityOptions& opt) {
  if (opt.seqlen < 2) throw Error("--seqlen must be at least 2");
  const int64_t body = bos ? opt.seqlen - 1 : opt.seqlen;
  int64_t count = static_cast<int64_t>(ids.size()) / body;
  if (opt.max_windows) count = std::min(count, *opt.max_windows);
  if (count <= 0)
    throw Error("text too short: " + std::to_string(ids.size()) + " tokens, one window needs " +
                std::to_string(body));
  std::vector<std::vector<int64_t>> windows;
  windows.reserve(count);
  for (int64_t w = 0; w < count; ++w) {
    std::vector<int64_t> seq;
    seq.reserve(opt.seqlen);
    if (bos) seq.push_back(*bos);
    seq.insert(seq.end(), ids.begin() + w * body, ids.begin() + (w + 1) * body);
    windows.push_back(std::move(seq));
  }
  return windows;
}

PerplexityResult perplexity(const Model& model, const std::vector<int64_t>& ids,
                            std::optional<int64_t> bos, const PerplexityOptions& opt) {
  NoGradGuard no_grad;
  const auto windows = perplexity_windows(ids, bos, opt);
  const int64_t n = static_cast<int64_t>(windows.size());
  double nll_sum = 0;
  int64_t scored = 0;
  Progress progress("eval", n, opt.show_progress);
  for (int64_t start = 0; start < n; start += opt.batch_size) {
    const int64_t bs = std::min(opt.batch_size, n - start);
    at::Tensor batch = at::empty({bs, opt.seqlen}, at::kLong);
    for (int64_t i = 0; i < bs; ++i)
      std::copy(windows[start + i].begin(), windows[start + i].end(), batch[i].data_ptr<int64_t>());
    at::Tensor logits = model.logits(batch);  // [bs, T, V]
    at::Tensor logp = at::log_softmax(logits.narrow(1, 0, opt.seqlen - 1).to(at::kDouble), -1);
    at::Tensor target = batch.narrow(1, 1, opt.seqlen - 1).unsqueeze(-1);
    nll_sum += -logp.gather(-1, target).sum().item<double>();
    scored += bs * (opt.seqlen - 1);
    progress.advance(bs, "ppl " + std::to_string(std::exp(nll_sum / static_cast<double>(scored))));
  }
  progress.finish();
  PerplexityResult r;
  r.windows = n;
  r.tokens = scored;
  r.mean_nll = nll_sum / static_cast<double>(scored);
  r.ppl = std::exp(r.mean_nll);
  return r;
}

}  // namespace arecipe
