// Builds a Tokenizer::Impl from tokenizer.json (or vocab.json + merges.txt) and the
// optional tokenizer_config.json / special_tokens_map.json beside it.
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "engine/text/json_access.h"
#include "engine/text/tokenizer_impl.h"
#include "engine/util/files.h"

namespace arecipe {
namespace {

using nlohmann::json;
using text::field_or;
using text::require_field;
using text::required_as;

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

json parse_json_file(const std::string& path, size_t limit = 256u << 20) {
  const std::string content = read_text_file(path, limit);
  try {
    return json::parse(content);
  } catch (const json::parse_error& e) {
    fail(path, std::string("malformed JSON: ") + e.what());
  }
}

std::vector<std::pair<std::string, std::string>> parse_merges(const json& merges,
                                                              const std::string& where) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(merges.size());
  for (const auto& m : merges) {
    if (m.is_string()) {  // "a b"
      const auto& s = m.get_ref<const std::string&>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
        fail(where, "merge " + std::to_string(out.size() + 1) + " '" + s + "' is not 'left right'");
      out.emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["a","b"]
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      fail(where, "merge " + std::to_string(out.size() + 1) + " must be \"a b\" or [\"a\", \"b\"]");
    }
  }
  return out;
}

std::unordered_map<std::string, int64_t> parse_vocab(const json& vocab, const std::string& where) {
  if (!vocab.is_object()) fail(where, "model.vocab must be an object of token -> id");
  std::unordered_map<std::string, int64_t> out;
  out.reserve(vocab.size());
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer()) fail(where, "vocabulary id of '" + it.key() + "' is not an integer");
    out.emplace(it.key(), it.value().get<int64_t>());
  }
  return out;
}

std::unique_ptr<text::BpeModel> parse_model(const json& model, const std::string& where) {
  const std::string type = field_or<std::string>(model, "type", "", where, "model");
  if (type != "BPE") {
    // Files without "type" are BPE only if they carry merges (HF's untagged deserialization).
    if (!type.empty() || !model.contains("merges"))
      fail(where, "unsupported model type '" + (type.empty() ? std::string("<untyped>") : type) +
                      "' (supported: BPE)");
  }
  if (model.contains("dropout") && !model.at("dropout").is_null() && model.at("dropout").get<double>() != 0.0)
    fail(where, "BPE dropout is not supported (it makes encoding random)");
  text::BpeOptions options;
  if (model.contains("unk_token") && model.at("unk_token").is_string())
    options.unk_token = model.at("unk_token").get<std::string>();
  options.continuing_subword_prefix = field_or<std::string>(model, "continuing_subword_prefix", "", where, "model");
  options.end_of_word_suffix = field_or<std::string>(model, "end_of_word_suffix", "", where, "model");
  options.fuse_unk = field_or(model, "fuse_unk", false, where, "model");
  options.byte_fallback = field_or(model, "byte_fallback", false, where, "model");
  options.ignore_merges = field_or(model, "ignore_merges", false, where, "model");
  auto vocab = parse_vocab(require_field(model, "vocab", where, "BPE model"), where);
  auto merges = parse_merges(require_field(model, "merges", where, "BPE model"), where);
  return std::make_unique<text::BpeModel>(std::move(vocab), merges, std::move(options), where);
}

std::vector<text::AddedToken> parse_added_tokens(const json& list, const std::string& where) {
  std::vector<text::AddedToken> out;
  if (list.is_null()) return out;
  if (!list.is_array()) fail(where, "added_tokens must be an array");
  for (const auto& t : list) {
    text::AddedToken a;
    a.id = required_as<int64_t>(t, "id", where, "added token");
    a.content = required_as<std::string>(t, "content", where, "added token");
    a.special = field_or(t, "special", false, where, "added token");
    a.lstrip = field_or(t, "lstrip", false, where, "added token");
    a.rstrip = field_or(t, "rstrip", false, where, "added token");
    a.single_word = field_or(t, "single_word", false, where, "added token");
    // HF's default: special tokens are not normalized, others are.
    a.normalized = field_or(t, "normalized", !a.special, where, "added token");
    out.push_back(std::move(a));
  }
  return out;
}

void index_added_tokens(Tokenizer::Impl& impl) {
  std::vector<text::AddedToken> raw, normalized;
  for (size_t i = 0; i < impl.added.size(); ++i) {
    const auto& a = impl.added[i];
    impl.added_by_id[a.id] = i;
    impl.added_by_content[a.content] = a.id;
    (a.normalized ? normalized : raw).push_back(a);
  }
  impl.raw_matcher = text::AddedTokenMatcher(std::move(raw));
  impl.normalized_matcher = text::AddedTokenMatcher(std::move(normalized));
  impl.vocab_size = impl.model->id_limit();
  for (const auto& a : impl.added) impl.vocab_size = std::max(impl.vocab_size, a.id + 1);
}

// A special-token field of tokenizer_config.json: a string, an AddedToken object or null.
std::optional<std::string> token_field(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const auto& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string())
    return v.at("content").get<std::string>();
  return std::nullopt;
}

// transformers' Llama-family fast tokenizers rebuild their post-processor from
// add_bos_token / add_eos_token (update_post_processor); we do the same for them.
bool rebuilds_template_from_config(const json& config) {
  static const std::set<std::string> classes = {"LlamaTokenizer", "LlamaTokenizerFast",
                                                "CodeLlamaTokenizer", "CodeLlamaTokenizerFast",
                                                "GemmaTokenizer", "GemmaTokenizerFast"};
  const auto cls = config.is_object() && config.contains("tokenizer_class") &&
                           config.at("tokenizer_class").is_string()
                       ? config.at("tokenizer_class").get<std::string>()
                       : std::string();
  return classes.count(cls) && (config.contains("add_bos_token") || config.contains("add_eos_token"));
}

void apply_config(Tokenizer::Impl& impl, const std::string& dir) {
  json config = json::object();
  const std::string config_path = dir + "/tokenizer_config.json";
  if (file_exists(config_path)) config = parse_json_file(config_path, 64u << 20);
  json special_map = json::object();
  const std::string map_path = dir + "/special_tokens_map.json";
  if (file_exists(map_path)) special_map = parse_json_file(map_path, 16u << 20);

  // tokenizer_config.json may register extra added tokens (added_tokens_decoder).
  if (config.contains("added_tokens_decoder") && config.at("added_tokens_decoder").is_object()) {
    for (const auto& [key, t] : config.at("added_tokens_decoder").items()) {
      int64_t id;
      try {
        id = std::stoll(key);
      } catch (const std::exception&) {
        fail(config_path, "added_tokens_decoder key '" + key + "' is not an id");
      }
      if (impl.added_by_id.count(id)) continue;
      text::AddedToken a;
      a.id = id;
      a.content = required_as<std::string>(t, "content", config_path, "added_tokens_decoder");
      a.special = field_or(t, "special", false, config_path, "added_tokens_decoder");
      a.lstrip = field_or(t, "lstrip", false, config_path, "added_tokens_decoder");
      a.rstrip = field_or(t, "rstrip", false, config_path, "added_tokens_decoder");
      a.single_word = field_or(t, "single_word", false, config_path, "added_tokens_decoder");
      a.normalized = field_or(t, "normalized", !a.special, config_path, "added_tokens_decoder");
      impl.added.push_back(std::move(a));
    }
    index_added_tokens(impl);
  }

  auto pick = [&](const char* key) {
    auto v = token_field(config, key);
    if (!v && !config.contains(key)) v = token_field(special_map, key);
    return v;
  };
  impl.bos_token = pick("bos_token");
  impl.eos_token = pick("eos_token");
  impl.pad_token = pick("pad_token");
  if (impl.bos_token) impl.bos_id = impl.token_to_id(*impl.bos_token);
  if (impl.eos_token) impl.eos_id = impl.token_to_id(*impl.eos_token);
  if (impl.pad_token) impl.pad_id = impl.token_to_id(*impl.pad_token);
  // Without any configuration, the post-processor's leading special token is the BOS.
  if (!config.contains("bos_token") && !special_map.contains("bos_token") && impl.frame.prefix.size() == 1)
    impl.bos_id = impl.frame.prefix[0];

  if (rebuilds_template_from_config(config)) {
    const bool add_bos = field_or(config, "add_bos_token", false, config_path, "tokenizer_config");
    const bool add_eos = field_or(config, "add_eos_token", false, config_path, "tokenizer_config");
    if (add_bos && !impl.bos_id) fail(config_path, "add_bos_token is true but bos_token is not in the vocabulary");
    if (add_eos && !impl.eos_id) fail(config_path, "add_eos_token is true but eos_token is not in the vocabulary");
    impl.frame = {};
    if (add_bos) impl.frame.prefix.push_back(*impl.bos_id);
    if (add_eos) impl.frame.suffix.push_back(*impl.eos_id);
  }
  if (config.contains("chat_template")) {
    const auto& t = config.at("chat_template");
    if (t.is_string()) {
      impl.chat_template = t.get<std::string>();
    } else if (t.is_array()) {  // named templates: [{"name": "default", "template": ...}]
      for (const auto& entry : t)
        if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template"))
          impl.chat_template = entry.at("template").get<std::string>();
    }
  }
}

std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::shared_ptr<Tokenizer::Impl> load_tokenizer_json(const std::string& path, const std::string& config_dir) {
  const json j = parse_json_file(path);
  if (!j.is_object()) fail(path, "tokenizer.json must be a JSON object");
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = path;
  if (j.contains("truncation") && !j.at("truncation").is_null())
    fail(path, "truncation settings in tokenizer.json are not supported (truncate the ids instead)");
  impl->normalizer = text::parse_normalizer(j.value("normalizer", json()), path);
  impl->pre_tokenizer = text::parse_pre_tokenizer(j.value("pre_tokenizer", json()), path);
  impl->model = parse_model(require_field(j, "model", path, "tokenizer.json"), path);
  impl->decoder = text::parse_decoder(j.value("decoder", json()), path);
  impl->frame = text::parse_post_processor(j.value("post_processor", json()), path);
  impl->added = parse_added_tokens(j.value("added_tokens", json()), path);
  index_added_tokens(*impl);
  apply_config(*impl, config_dir.empty() ? parent_dir(path) : config_dir);
  return impl;
}

std::shared_ptr<Tokenizer::Impl> load_vocab_and_merges(const std::string& vocab_path,
                                                       const std::string& merges_path,
                                                       const std::string& config_dir) {
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->source = vocab_path;
  auto vocab = parse_vocab(parse_json_file(vocab_path), vocab_path);
  // merges.txt: one "left right" pair per line after an optional "#version" header.
  const std::string text = read_text_file(merges_path);
  std::vector<std::pair<std::string, std::string>> merges;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("#version", 0) == 0) continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
      fail(merges_path, "line " + std::to_string(line_no) + " is not 'left right'");
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  if (merges.empty()) fail(merges_path, "no merges");
  impl->model = std::make_unique<text::BpeModel>(std::move(vocab), merges, text::BpeOptions{}, merges_path);
  // HF's ByteLevelBPETokenizer: ByteLevel pre-tokenizer (no prefix space) and decoder.
  impl->pre_tokenizer = text::parse_pre_tokenizer(
      json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}, vocab_path);
  impl->decoder = text::parse_decoder(json{{"type", "ByteLevel"}}, vocab_path);
  index_added_tokens(*impl);
  apply_config(*impl, config_dir);
  return impl;
}

Tokenizer Tokenizer::from_file(const std::string& tokenizer_json_path) {
  return Tokenizer(load_tokenizer_json(tokenizer_json_path, ""));
}

Tokenizer Tokenizer::from_vocab_and_merges(const std::string& vocab_json_path,
                                           const std::string& merges_txt_path) {
  return Tokenizer(load_vocab_and_merges(vocab_json_path, merges_txt_path, parent_dir(vocab_json_path)));
}

Tokenizer Tokenizer::from_model_dir(const std::string& dir) {
  const std::string json_path = dir + "/tokenizer.json";
  if (file_exists(json_path)) return Tokenizer(load_tokenizer_json(json_path, dir));
  const std::string vocab = dir + "/vocab.json", merges = dir + "/merges.txt";
  if (file_exists(vocab) && file_exists(merges)) return Tokenizer(load_vocab_and_merges(vocab, merges, dir));
  fail(dir, "no tokenizer found (expected tokenizer.json, or vocab.json + merges.txt)");
}

}  // namespace arecipe
