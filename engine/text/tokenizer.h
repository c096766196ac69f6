// A HuggingFace tokenizer (tokenizer.json, or a GPT-2 style vocab.json + merges.txt pair)
// reimplemented in plain C++: ids are identical to HF `tokenizers` for the pipelines we
// support, and anything we do not support is a load-time Error naming the component.
// See docs/text.md.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace arecipe {

class Tokenizer {
 public:
  // Loads `dir`/tokenizer.json (or `dir`/vocab.json + merges.txt) and, when present,
  // `dir`/tokenizer_config.json and special_tokens_map.json for BOS/EOS/pad.
  static Tokenizer from_model_dir(const std::string& dir);
  // Loads a tokenizer.json; a tokenizer_config.json beside it is read too.
  static Tokenizer from_file(const std::string& tokenizer_json_path);
  // Loads the byte-level BPE pair the way HF ByteLevelBPETokenizer does.
  static Tokenizer from_vocab_and_merges(const std::string& vocab_json_path,
                                         const std::string& merges_txt_path);

  // Ill-formed UTF-8 in `text` is read as U+FFFD per maximal bad subpart (Python's
  // errors="replace"); callers wanting strictness check with text::find_invalid_utf8.
  std::vector<int64_t> encode(const std::string& text, bool add_special_tokens = true) const;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  std::optional<int64_t> bos_id() const;
  std::optional<int64_t> eos_id() const;
  std::optional<int64_t> pad_id() const;
  bool adds_bos() const;  // true if encode(..., true) prepends BOS
  bool adds_eos() const;  // true if encode(..., true) appends EOS
  int64_t vocab_size() const;  // one past the largest id (model vocabulary and added tokens)

  // Ids that encode(..., true) puts before / after the text's own ids.
  const std::vector<int64_t>& special_prefix() const;
  const std::vector<int64_t>& special_suffix() const;
  // Id of a token string (added tokens first, then the model vocabulary).
  std::optional<int64_t> token_to_id(const std::string& token) const;
  // The Jinja chat template from tokenizer_config.json, if any.
  const std::optional<std::string>& chat_template() const;
  // The configured BOS / EOS token strings (for chat templates).
  std::optional<std::string> bos_token() const;
  std::optional<std::string> eos_token() const;
  // Where the tokenizer was loaded from (for messages).
  const std::string& source() const;

  struct Impl;

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace arecipe
