#include "exporters/gguf/tokenizer_meta.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/text/tokenizer.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace arecipe::gguf {
namespace {

using nlohmann::json;

enum TokenType : int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// Regexes of the Split pre-tokenizer -> llama.cpp's `pre` names (only ones verified
// against llama.cpp's own converter output for the same families).
const std::map<std::string, std::string>& known_pre() {
  static const std::map<std::string, std::string> m = {
      {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
       "qwen2"},
      {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
       "llama-bpe"},
  };
  return m;
}

// Collects every pre-tokenizer object (flattening Sequence).
void flatten(const json& j, std::vector<json>& out) {
  if (!j.is_object()) return;
  if (j.value("type", "") == "Sequence" && j.contains("pretokenizers")) {
    for (const json& e : j["pretokenizers"]) flatten(e, out);
  } else {
    out.push_back(j);
  }
}

std::string pre_name(const json& tok, const std::string& path) {
  std::vector<json> pres;
  flatten(tok.value("pre_tokenizer", json()), pres);
  std::string pattern;
  bool byte_level_regex = false;
  for (const json& p : pres) {
    if (p.value("type", "") == "Split" && p.contains("pattern") && p["pattern"].contains("Regex"))
      pattern = p["pattern"]["Regex"].get<std::string>();
    if (p.value("type", "") == "ByteLevel" && p.value("use_regex", true)) byte_level_regex = true;
  }
  if (pattern.empty() && byte_level_regex) return "gpt-2";
  auto it = known_pre().find(pattern);
  if (it == known_pre().end())
    fail(path, "GGUF export does not know llama.cpp's pre-tokenizer name for the regex '" + pattern + "'");
  return it->second;
}

std::string merge_text(const json& m, const std::string& path) {
  if (m.is_string()) return m.get<std::string>();
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
    return m[0].get<std::string>() + " " + m[1].get<std::string>();
  fail(path, "unexpected merge entry " + m.dump());
}

bool is_byte_piece(const std::string& s) {
  return s.size() == 6 && s.compare(0, 3, "<0x") == 0 && s[5] == '>' && std::isxdigit(static_cast<unsigned char>(s[3])) &&
         std::isxdigit(static_cast<unsigned char>(s[4]));
}

}  // namespace

Metadata tokenizer_metadata(const std::string& model_dir, int64_t n_vocab) {
  const std::string path = model_dir + "/tokenizer.json";
  json tok;
  try {
    tok = json::parse(read_text_file(path, 1u << 30));
  } catch (const json::exception& e) {
    fail(path, std::string("not valid JSON: ") + e.what());
  }
  const json& model = tok.value("model", json::object());
  if (model.value("type", "") != "BPE") fail(path, "GGUF export supports BPE tokenizers only, not '" + model.value("type", "?") + "'");
  if (!model.contains("vocab") || !model["vocab"].is_object()) fail(path, "model.vocab missing");
  const Tokenizer t = Tokenizer::from_model_dir(model_dir);

  // SentencePiece-style if the model falls back to byte pieces or pieces carry U+2581.
  const bool spm = model.value("byte_fallback", false);

  std::vector<std::string> tokens(static_cast<size_t>(n_vocab));
  std::vector<bool> have(static_cast<size_t>(n_vocab), false);
  std::vector<int64_t> types(static_cast<size_t>(n_vocab), kNormal);
  auto place = [&](const std::string& s, int64_t id) {
    if (id < 0 || id >= n_vocab)
      fail(path, "token '" + s + "' has id " + std::to_string(id) + " outside the model's vocabulary of " + std::to_string(n_vocab));
    tokens[id] = s;
    have[id] = true;
  };
  for (const auto& [s, id] : model["vocab"].items()) place(s, id.get<int64_t>());
  std::set<int64_t> special_ids;
  for (const json& a : tok.value("added_tokens", json::array())) {
    const int64_t id = a.value("id", int64_t(-1));
    place(a.value("content", ""), id);
    const bool special = a.value("special", false);
    types[id] = special ? kControl : kUserDefined;
    if (special) special_ids.insert(id);
  }
  for (int64_t id = 0; id < n_vocab; ++id) {
    if (!have[id]) {
      tokens[id] = "[PAD" + std::to_string(id) + "]";
      types[id] = kUnused;
    } else if (spm && types[id] == kNormal && is_byte_piece(tokens[id])) {
      types[id] = kByte;
    }
  }
  const std::string unk = model.value("unk_token", json()).is_string() ? model["unk_token"].get<std::string>() : "";
  if (spm && !unk.empty())
    for (int64_t id = 0; id < n_vocab; ++id)
      if (tokens[id] == unk) types[id] = kUnknown;
  {
    std::map<std::string, int64_t> seen;
    for (int64_t id = 0; id < n_vocab; ++id) {
      auto [it, fresh] = seen.emplace(tokens[id], id);
      if (!fresh)
        fail(path, "token string '" + tokens[id] + "' appears at ids " + std::to_string(it->second) + " and " + std::to_string(id) +
                       "; GGUF requires unique tokens");
    }
  }

  std::vector<std::string> merges;
  for (const json& m : model.value("merges", json::array())) merges.push_back(merge_text(m, path));

  Metadata md;
  if (spm) {
    std::map<std::string, int64_t> first_rank;
    for (size_t r = 0; r < merges.size(); ++r) {
      const size_t sp = merges[r].find(' ');
      if (sp == std::string::npos) fail(path, "merge '" + merges[r] + "' has no space");
      first_rank.emplace(merges[r].substr(0, sp) + merges[r].substr(sp + 1), static_cast<int64_t>(r));
    }
    std::vector<double> scores(static_cast<size_t>(n_vocab), 0.0);
    for (int64_t id = 0; id < n_vocab; ++id) {
      if (types[id] == kUnused || types[id] == kControl || types[id] == kUnknown) {
        scores[id] = -1000.0;
        continue;
      }
      auto it = first_rank.find(tokens[id]);
      if (it != first_rank.end()) scores[id] = -static_cast<double>(it->second);
    }
    md.emplace_back("tokenizer.ggml.model", Value::str("llama"));
    md.emplace_back("tokenizer.ggml.pre", Value::str("default"));
    md.emplace_back("tokenizer.ggml.tokens", Value::str_array(tokens));
    md.emplace_back("tokenizer.ggml.scores", Value::f32_array(scores));
    md.emplace_back("tokenizer.ggml.token_type", Value::int_array(ValueType::I32, types));
    bool prefix = false;
    const json norm = tok.value("normalizer", json());
    if (norm.is_object()) {
      std::vector<json> ns;
      if (norm.value("type", "") == "Sequence") {
        for (const json& n : norm.value("normalizers", json::array())) ns.push_back(n);
      } else {
        ns.push_back(norm);
      }
      for (const json& n : ns)
        if (n.value("type", "") == "Prepend" && n.value("prepend", "") == "\xe2\x96\x81") prefix = true;
    }
    md.emplace_back("tokenizer.ggml.add_space_prefix", Value::boolean(prefix));
  } else {
    md.emplace_back("tokenizer.ggml.model", Value::str("gpt2"));
    md.emplace_back("tokenizer.ggml.pre", Value::str(pre_name(tok, path)));
    md.emplace_back("tokenizer.ggml.tokens", Value::str_array(tokens));
    md.emplace_back("tokenizer.ggml.token_type", Value::int_array(ValueType::I32, types));
    md.emplace_back("tokenizer.ggml.merges", Value::str_array(merges));
  }
  auto id_key = [&](const char* key, std::optional<int64_t> id) {
    if (id && *id >= 0 && *id < n_vocab) md.emplace_back(key, Value::u32(static_cast<uint32_t>(*id)));
  };
  id_key("tokenizer.ggml.bos_token_id", t.bos_id());
  id_key("tokenizer.ggml.eos_token_id", t.eos_id());
  if (spm && !unk.empty()) id_key("tokenizer.ggml.unknown_token_id", t.token_to_id(unk));
  id_key("tokenizer.ggml.padding_token_id", t.pad_id());
  md.emplace_back("tokenizer.ggml.add_bos_token", Value::boolean(t.adds_bos()));
  md.emplace_back("tokenizer.ggml.add_eos_token", Value::boolean(t.adds_eos()));
  if (t.chat_template()) md.emplace_back("tokenizer.chat_template", Value::str(*t.chat_template()));
  return md;
}

}  // namespace arecipe::gguf
