// Perplexity of a model directory on a text file, the way `arecipe eval --text` and
// `arecipe run`'s eval: step both measure it: the model's tokenizer encodes the whole
// file (special tokens added), a leading BOS is dropped, and windows start with BOS
// when the tokenizer adds one (docs/perplexity.md).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "engine/eval/perplexity.h"

namespace arecipe {

PerplexityResult text_perplexity(const std::string& model_dir, const std::string& text_file,
                                 const PerplexityOptions& options);

// The shared tail: drops a leading BOS from `ids`, rejects ids outside the vocabulary
// (Error naming `source`), evaluates.
PerplexityResult ids_perplexity(const Model& model, std::vector<int64_t> ids, std::optional<int64_t> bos,
                                const PerplexityOptions& options, const std::string& source);

}  // namespace arecipe
