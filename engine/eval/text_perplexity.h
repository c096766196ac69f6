// Perplexity of a model directory on a text file, the way `arecipe eval --text` and
// `arecipe run`'s eval: step both measure it: the model's tokenizer encodes the whole
// file (special tokens added), a leading BOS is dropped, and windows start with BOS
// when the tokenizer adds one (docs/perplexity.md).
#pragma once
#include <string>

#include "engine/eval/perplexity.h"

namespace arecipe {

PerplexityResult text_perplexity(const std::string& model_dir, const std::string& text_file,
                                 const PerplexityOptions& options);

}  // namespace arecipe
