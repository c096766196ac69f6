// The stages of an HF tokenizer.json pipeline (normalizer, pre-tokenizer, decoder,
// post-processor), each built from its JSON object. Every parser rejects a component
// type it does not implement with an Error naming it: we never approximate a stage.
#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace arecipe::text {

// A piece of input text on its way to the model.
struct PreToken {
  std::string text;
  bool at_input_start = false;  // starts at offset 0 of the original input (Metaspace "first")
};

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // Replaces `pieces` by their split (and possibly rewritten) pieces.
  virtual void pre_tokenize(std::vector<PreToken>& pieces) const = 0;
};

class Decoder {
 public:
  virtual ~Decoder() = default;
  // HF's decode_chain: token strings in, token strings out; the result is their concatenation.
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// What a post-processor adds around a single sequence when add_special_tokens is set.
struct SpecialTokenFrame {
  std::vector<int64_t> prefix;
  std::vector<int64_t> suffix;
};

// Whether Metaspace prepends its replacement character to a piece.
enum class PrependScheme { kAlways, kFirst, kNever };
PrependScheme parse_prepend_scheme(const nlohmann::json& j, const std::string& where,
                                   const char* context);

// `where` names the file in error messages. A null JSON value gives a null pointer.
std::unique_ptr<Normalizer> parse_normalizer(const nlohmann::json& j, const std::string& where);
std::unique_ptr<PreTokenizer> parse_pre_tokenizer(const nlohmann::json& j, const std::string& where);
std::unique_ptr<Decoder> parse_decoder(const nlohmann::json& j, const std::string& where);
SpecialTokenFrame parse_post_processor(const nlohmann::json& j, const std::string& where);

// The pattern of a {"String": s} or {"Regex": r} object, as a regex source.
std::string parse_pattern(const nlohmann::json& j, const std::string& where);
// A literal string escaped so that our Regex matches it verbatim.
std::string escape_regex(const std::string& literal);

}  // namespace arecipe::text
