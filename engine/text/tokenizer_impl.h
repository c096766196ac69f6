// Internal state of arecipe::Tokenizer, shared by the loader and the encode/decode code.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/text/added_tokens.h"
#include "engine/text/bpe.h"
#include "engine/text/components.h"
#include "engine/text/tokenizer.h"

namespace arecipe {

struct Tokenizer::Impl {
  std::string source;
  std::unique_ptr<text::Normalizer> normalizer;
  std::unique_ptr<text::PreTokenizer> pre_tokenizer;
  std::unique_ptr<text::BpeModel> model;
  std::unique_ptr<text::Decoder> decoder;
  text::SpecialTokenFrame frame;

  std::vector<text::AddedToken> added;                 // in file order
  std::unordered_map<int64_t, size_t> added_by_id;     // id -> index into `added`
  std::unordered_map<std::string, int64_t> added_by_content;
  text::AddedTokenMatcher raw_matcher;         // tokens with normalized == false
  text::AddedTokenMatcher normalized_matcher;  // tokens with normalized == true

  std::optional<std::string> bos_token, eos_token, pad_token;
  std::optional<int64_t> bos_id, eos_id, pad_id;
  std::optional<std::string> chat_template;
  int64_t vocab_size = 0;

  std::optional<int64_t> token_to_id(const std::string& token) const {
    const auto it = added_by_content.find(token);
    if (it != added_by_content.end()) return it->second;
    return model->token_to_id(token);
  }
};

// Defined in tokenizer_loader.cpp.
std::shared_ptr<Tokenizer::Impl> load_tokenizer_json(const std::string& tokenizer_json_path,
                                                     const std::string& config_dir);
std::shared_ptr<Tokenizer::Impl> load_vocab_and_merges(const std::string& vocab_path,
                                                       const std::string& merges_path,
                                                       const std::string& config_dir);

}  // namespace arecipe
