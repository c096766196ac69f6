#include "engine/eval/text_perplexity.h"

#include <spdlog/spdlog.h>

#include "engine/model/model.h"
#include "engine/text/tokenizer.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "engine/util/runtime.h"

namespace arecipe {

PerplexityResult text_perplexity(const std::string& model_dir, const std::string& text_file,
                                 const PerplexityOptions& options) {
  const Model model = Model::open(model_dir);
  const Tokenizer tok = Tokenizer::from_model_dir(model_dir);
  const std::optional<int64_t> bos = tok.adds_bos() ? tok.bos_id() : std::nullopt;
  return ids_perplexity(model, tok.encode(read_text_file(text_file, 1u << 30), /*add_special_tokens=*/true), bos,
                        options, text_file);
}

PerplexityResult ids_perplexity(const Model& model, std::vector<int64_t> ids, std::optional<int64_t> bos,
                                const PerplexityOptions& options, const std::string& source) {
  if (bos && !ids.empty() && ids.front() == *bos) ids.erase(ids.begin());
  for (int64_t id : ids)
    if (id < 0 || id >= model.config().vocab_size)
      fail(source, "token id " + std::to_string(id) + " outside the model's vocabulary (" +
                       std::to_string(model.config().vocab_size) + ")");
  spdlog::info("{}: {} tokens, seqlen {}, {} threads", source, ids.size(), options.seqlen, runtime_threads());
  return perplexity(model, ids, bos, options);
}

}  // namespace arecipe
