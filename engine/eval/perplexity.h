// Perplexity of a causal LM over a token stream (method: docs/perplexity.md).
//   1. The caller tokenizes the whole text once and removes a leading BOS.
//   2. The ids are cut into consecutive, non-overlapping windows of seqlen-1 tokens
//      (seqlen when the model has no BOS); a trailing partial window is dropped;
//      only the first `max_windows` are kept if set.
//   3. Each window is evaluated as [BOS] + window; every next-token prediction in it
//      is scored (seqlen-1 predictions per window).
//   4. ppl = exp(mean NLL over all scored tokens).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace arecipe {

class Model;

struct PerplexityOptions {
  int64_t seqlen = 512;
  std::optional<int64_t> max_windows;
  int64_t batch_size = 4;
  bool show_progress = true;
};

struct PerplexityResult {
  double ppl = 0;
  double mean_nll = 0;
  int64_t windows = 0;
  int64_t tokens = 0;  // scored predictions
};

// Step 2 and 3: the sequences to evaluate (each exactly seqlen long). Throws Error
// when the text is too short for one window.
std::vector<std::vector<int64_t>> perplexity_windows(const std::vector<int64_t>& ids,
                                                     std::optional<int64_t> bos,
                                                     const PerplexityOptions& opt);

// Evaluates `model` on `ids` (a leading BOS already removed), `opt.batch_size`
// windows per forward pass.
PerplexityResult perplexity(const Model& model, const std::vector<int64_t>& ids,
                            std::optional<int64_t> bos, const PerplexityOptions& opt);

}  // namespace arecipe
