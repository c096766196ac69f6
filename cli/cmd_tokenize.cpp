// `arecipe tokenize`: encodes text with a model's tokenizer and prints the ids (one line,
// space-separated) or, with --json, an object with the ids and the special-token facts.
#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "engine/text/tokenizer.h"
#include "engine/text/utf8.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace {

struct TokenizeOptions {
  std::string model_dir;
  std::string tokenizer_file;
  std::string text_file;
  std::string text;
  bool json = false;
  bool no_special = false;
  bool decode = false;
};

void run_tokenize(const TokenizeOptions& o) {
  const arecipe::Tokenizer tok = o.model_dir.empty() ? arecipe::Tokenizer::from_file(o.tokenizer_file)
                                                     : arecipe::Tokenizer::from_model_dir(o.model_dir);
  std::string input = o.text;
  if (!o.text_file.empty()) {
    input = arecipe::read_text_file(o.text_file, size_t(1) << 30);
    if (const auto bad = arecipe::text::find_invalid_utf8(input))
      arecipe::fail(o.text_file, "invalid UTF-8 at byte " + std::to_string(*bad));
  }
  const auto ids = tok.encode(input, !o.no_special);
  if (o.json) {
    nlohmann::json out = {{"ids", ids},
                          {"count", ids.size()},
                          {"add_special_tokens", !o.no_special},
                          {"adds_bos", tok.adds_bos()},
                          {"vocab_size", tok.vocab_size()}};
    auto opt = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    out["bos_id"] = opt(tok.bos_id());
    out["eos_id"] = opt(tok.eos_id());
    out["pad_id"] = opt(tok.pad_id());
    if (o.decode) out["decoded"] = tok.decode(ids);
    std::cout << out.dump() << "\n";
    return;
  }
  for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
  if (o.decode) std::cout << tok.decode(ids) << "\n";
}

arecipe::cli::CommandRegistrar reg("tokenize", 40, [](CLI::App& root) {
  auto opts = std::make_shared<TokenizeOptions>();
  auto* sub = root.add_subcommand("tokenize", "Encode text with a model's tokenizer and print the ids");
  arecipe::cli::add_log_flags(*sub);
  auto* model = sub->add_option("--model", opts->model_dir, "Model directory (tokenizer.json or vocab.json + merges.txt)");
  auto* file = sub->add_option("--tokenizer", opts->tokenizer_file, "A tokenizer.json file");
  model->excludes(file);
  file->excludes(model);
  auto* text_file = sub->add_option("--text", opts->text_file, "Read the text from this file (UTF-8)");
  auto* text = sub->add_option("string", opts->text, "The text to encode");
  text_file->excludes(text);
  text->excludes(text_file);
  sub->add_flag("--json", opts->json, "Print a JSON object instead of bare ids");
  sub->add_flag("--no-special", opts->no_special, "Do not add the post-processor's special tokens (BOS/EOS)");
  sub->add_flag("--decode", opts->decode, "Also print the ids decoded back to text");
  sub->callback([opts, model, file, text_file, text] {
    if (model->count() + file->count() != 1)
      throw CLI::ValidationError("tokenize", "give exactly one of --model DIR or --tokenizer FILE");
    if (text_file->count() + text->count() != 1)
      throw CLI::ValidationError("tokenize", "give the text as a STRING or with --text FILE");
    run_tokenize(*opts);
  });
});

}  // namespace
