// Rendering a model's Jinja chat template (tokenizer_config.json "chat_template") the way
// transformers' apply_chat_template does (trim_blocks, lstrip_blocks), for the subset of
// Jinja that real chat templates (Qwen2/3, Llama-3, Mistral, ...) use. Constructs outside
// the subset are an Error naming them.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/text/calibration_sources.h"
#include "engine/text/tokenizer.h"

namespace arecipe::text {

// The template called raise_exception(...): it refuses these messages (upstream then
// retries without the system message).
class ChatTemplateRejected : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Renders `messages` with the tokenizer's chat template; variables: messages,
// add_generation_prompt, bos_token, eos_token (tools undefined).
std::string apply_chat_template(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt);

// Renders an explicit template source (for tests).
std::string render_chat_template(const std::string& source, const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt, const std::optional<std::string>& bos_token,
                                 const std::optional<std::string>& eos_token);

}  // namespace arecipe::text
