#include "engine/text/chat_template.h"

#include "engine/text/jinja.h"
#include "engine/util/error.h"

namespace arecipe::text {

std::string render_chat_template(const std::string& source, const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt, const std::optional<std::string>& bos_token,
                                 const std::optional<std::string>& eos_token) {
  jinja::List list;
  for (const auto& m : messages)
    list.push_back(jinja::Value::make_map({{"role", jinja::Value::string(m.role)},
                                           {"content", jinja::Value::string(m.content)}}));
  jinja::Map globals = {{"messages", jinja::Value::make_list(std::move(list))},
                        {"add_generation_prompt", jinja::Value::boolean(add_generation_prompt)}};
  // transformers passes only the special tokens that are set; others stay undefined.
  if (bos_token) globals.emplace_back("bos_token", jinja::Value::string(*bos_token));
  if (eos_token) globals.emplace_back("eos_token", jinja::Value::string(*eos_token));
  const jinja::Template tpl(source);
  try {
    return tpl.render(globals);
  } catch (const jinja::TemplateError& e) {
    throw ChatTemplateRejected(e.what());
  }
}

std::string apply_chat_template(const Tokenizer& tokenizer, const std::vector<ChatMessage>& messages,
                                bool add_generation_prompt) {
  const auto& source = tokenizer.chat_template();
  if (!source) fail(tokenizer.source(), "the tokenizer has no chat_template");
  try {
    return render_chat_template(*source, messages, add_generation_prompt, tokenizer.bos_token(),
                                tokenizer.eos_token());
  } catch (const std::invalid_argument& e) {
    fail(tokenizer.source(), e.what());
  }
}

}  // namespace arecipe::text
