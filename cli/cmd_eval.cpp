// arecipe eval --model DIR (--text FILE | --tokens FILE.json) [--seqlen N] [--windows N] [--json]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/json_out.h"
#include "engine/eval/text_perplexity.h"
#include "engine/model/model.h"
#include "engine/text/tokenizer.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "engine/util/runtime.h"
#include "exporters/gguf/to_hf.h"

namespace arecipe::cli {
namespace {

struct EvalArgs {
  std::string model, tokens_file, text_file;
  int64_t seqlen = 512;
  int64_t windows = 0;
  int64_t batch_size = 4;
  int threads = 0;
  bool json = false;
  bool no_bos = false;
  std::string tokenizer;  // GGUF only: HF directory to take tokenizer.json from
};

// --tokens takes a JSON list of ids, or an object with "input_ids" (what a HF
// tokenizer's encode returns), so ids from any tool can be evaluated.
std::vector<int64_t> read_token_file(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text_file(path, 1u << 30));
  } catch (const nlohmann::json::exception& e) {
    fail(path, std::string("not valid JSON: ") + e.what());
  }
  if (j.is_object() && j.contains("input_ids")) j = j["input_ids"];
  if (!j.is_array()) fail(path, "expected a JSON list of token ids (or {\"input_ids\": [...]})");
  std::vector<int64_t> ids;
  ids.reserve(j.size());
  for (const auto& v : j) {
    if (!v.is_number_integer()) fail(path, "token ids must be integers");
    ids.push_back(v.get<int64_t>());
  }
  return ids;
}

// The BOS each window starts with: the tokenizer's, if it adds one; without a
// tokenizer (ids given with --tokens and no tokenizer.json), config.json's bos_token_id.
std::optional<int64_t> window_bos(const std::optional<Tokenizer>& tok, const Model& model) {
  if (tok) return tok->adds_bos() ? tok->bos_id() : std::nullopt;
  return model.config().bos_token_id;
}

void run_eval(const EvalArgs& args) {
  if (args.text_file.empty() == args.tokens_file.empty()) throw Error("eval needs exactly one of --text or --tokens");
  // A GGUF file is dequantized into a temporary HF directory (docs/gguf.md), so every
  // GGUF, ours or llama.cpp's, is scored by the same forward as HF checkpoints.
  std::optional<gguf::TempHfDir> gguf_dir;
  EvalArgs a = args;
  if (gguf::is_gguf_file(a.model)) {
    if (!a.text_file.empty() && a.tokenizer.empty())
      throw Error(a.model + ": evaluating a GGUF on --text needs --tokenizer DIR (the model's HF tokenizer)");
    gguf_dir.emplace(gguf::gguf_to_temp_hf(a.model, a.tokenizer));
    a.model = gguf_dir->path();
  }
  init_runtime(a.threads);
  Model model = Model::open(a.model);
  const std::string& input = a.text_file.empty() ? a.tokens_file : a.text_file;
  // Loaded once: it decides the BOS and, with --text, tokenizes.
  std::optional<Tokenizer> tok;
  if (!a.text_file.empty() || std::filesystem::exists(a.model + "/tokenizer.json"))
    tok = Tokenizer::from_model_dir(a.model);
  std::optional<int64_t> bos = a.no_bos ? std::nullopt : window_bos(tok, model);
  std::vector<int64_t> ids = a.text_file.empty()
                                 ? read_token_file(a.tokens_file)
                                 : tok->encode(read_text_file(a.text_file, 1u << 30), /*add_special_tokens=*/true);
  PerplexityOptions opt;
  opt.seqlen = a.seqlen;
  if (a.windows > 0) opt.max_windows = a.windows;
  opt.batch_size = a.batch_size;
  opt.show_progress = !a.json && spdlog::get_level() <= spdlog::level::info;
  const PerplexityResult r = ids_perplexity(model, std::move(ids), bos, opt, input);
  if (a.json) {
    print_json({{"model", args.model}, {"ppl", r.ppl}, {"mean_nll", r.mean_nll}, {"windows", r.windows},
                {"tokens", r.tokens}, {"seqlen", a.seqlen}});
  } else {
    std::printf("perplexity %.4f  (%lld windows x %lld tokens, seqlen %lld)\n", r.ppl,
                static_cast<long long>(r.windows), static_cast<long long>(a.seqlen - 1),
                static_cast<long long>(a.seqlen));
  }
}

CommandRegistrar reg("eval", 60, [](CLI::App& root) {
  auto args = std::make_shared<EvalArgs>();
  auto* sub = root.add_subcommand("eval", "Perplexity of a model on text (docs/perplexity.md)");
  add_log_flags(*sub);
  sub->add_option("--model", args->model, "Model directory (HF layout, safetensors) or GGUF file")->required();
  sub->add_option("--tokenizer", args->tokenizer, "With a GGUF --model: HF directory holding its tokenizer.json");
  auto* text = sub->add_option("--text", args->text_file, "Text file, tokenized with the model's tokenizer");
  auto* tokens = sub->add_option("--tokens", args->tokens_file, "JSON list of token ids");
  text->excludes(tokens);
  sub->add_option("--seqlen", args->seqlen, "Window length including BOS")->capture_default_str();
  sub->add_option("--windows", args->windows, "Evaluate only the first N windows");
  sub->add_option("--batch-size", args->batch_size, "Windows per forward pass")->capture_default_str();
  sub->add_option("--threads", args->threads, "CPU threads (default: all cores)");
  sub->add_flag("--no-bos", args->no_bos, "Do not prepend the model's BOS to each window");
  sub->add_flag("--json", args->json, "Print one JSON object");
  sub->callback([args] { run_eval(*args); });
});

}  // namespace
}  // namespace arecipe::cli
