#include "exporters/gguf/to_hf.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "engine/io/gguf_reader.h"
#include "engine/io/safetensors_writer.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "schemes/ggml/codec.h"

namespace fs = std::filesystem;

namespace arecipe::gguf {

bool is_gguf_file(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  std::ifstream f(path, std::ios::binary);
  char m[4] = {};
  f.read(m, 4);
  return f.gcount() == 4 && std::memcmp(m, "GGUF", 4) == 0;
}

TempHfDir::~TempHfDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

std::string hf_name(const std::string& g, const std::string& path) {
  static const std::vector<std::pair<std::string, std::string>> top = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  for (const auto& [a, b] : top)
    if (g == a) return b;
  static const std::regex layer(R"(blk\.(\d+)\.(.+))");
  static const std::vector<std::pair<std::string, std::string>> inner = {
      {"attn_norm.weight", "input_layernorm.weight"},       {"ffn_norm.weight", "post_attention_layernorm.weight"},
      {"attn_q.weight", "self_attn.q_proj.weight"},         {"attn_k.weight", "self_attn.k_proj.weight"},
      {"attn_v.weight", "self_attn.v_proj.weight"},         {"attn_output.weight", "self_attn.o_proj.weight"},
      {"attn_q.bias", "self_attn.q_proj.bias"},             {"attn_k.bias", "self_attn.k_proj.bias"},
      {"attn_v.bias", "self_attn.v_proj.bias"},             {"attn_output.bias", "self_attn.o_proj.bias"},
      {"attn_q_norm.weight", "self_attn.q_norm.weight"},    {"attn_k_norm.weight", "self_attn.k_norm.weight"},
      {"ffn_gate.weight", "mlp.gate_proj.weight"},          {"ffn_up.weight", "mlp.up_proj.weight"},
      {"ffn_down.weight", "mlp.down_proj.weight"},
  };
  std::smatch m;
  if (std::regex_match(g, m, layer))
    for (const auto& [a, b] : inner)
      if (m[2] == a) return "model.layers." + m[1].str() + "." + b;
  fail(path, "cannot map GGUF tensor '" + g + "' to a Hugging Face name");
}

// Inverse of the exporter's permutation: old row i = new 2i, old i + D/2 = new 2i + 1.
void unpermute_qk_rows(float* data, int64_t heads, int64_t head_dim, int64_t cols) {
  const int64_t half = head_dim / 2;
  std::vector<float> tmp(static_cast<size_t>(head_dim * cols));
  for (int64_t h = 0; h < heads; ++h) {
    float* base = data + h * head_dim * cols;
    for (int64_t i = 0; i < half; ++i) {
      std::memcpy(&tmp[i * cols], base + (2 * i) * cols, cols * sizeof(float));
      std::memcpy(&tmp[(i + half) * cols], base + (2 * i + 1) * cols, cols * sizeof(float));
    }
    std::memcpy(base, tmp.data(), tmp.size() * sizeof(float));
  }
}

}  // namespace

void gguf_to_hf(const std::string& gguf_path, const std::string& out_dir, const std::string& tokenizer_dir) {
  const Reader r(gguf_path);
  const std::string arch = r.get_string("general.architecture");
  const std::map<std::string, std::pair<std::string, std::string>> hf = {
      {"llama", {"LlamaForCausalLM", "llama"}}, {"qwen2", {"Qwen2ForCausalLM", "qwen2"}}, {"qwen3", {"Qwen3ForCausalLM", "qwen3"}}};
  auto it = hf.find(arch);
  if (it == hf.end()) fail(gguf_path, "evaluating GGUF architecture '" + arch + "' is not supported (llama, qwen2, qwen3)");
  const std::string a = arch + ".";
  const TensorEntry* embd = r.find_tensor("token_embd.weight");
  if (!embd || embd->dims.size() != 2) fail(gguf_path, "token_embd.weight missing or not 2-D");
  const int64_t n_embd = r.get_u32(a + "embedding_length");
  const int64_t n_head = r.get_u32(a + "attention.head_count");
  const Value* kv = r.find(a + "attention.head_count_kv");
  const int64_t n_head_kv = kv && kv->type == ValueType::U32 ? static_cast<int64_t>(kv->u) : n_head;
  const Value* kl = r.find(a + "attention.key_length");
  const int64_t head_dim = kl && kl->type == ValueType::U32 ? static_cast<int64_t>(kl->u) : n_embd / n_head;
  const bool tied = r.find_tensor("output.weight") == nullptr;

  nlohmann::ordered_json c;
  c["architectures"] = {it->second.first};
  c["model_type"] = it->second.second;
  c["hidden_size"] = n_embd;
  c["intermediate_size"] = r.get_u32(a + "feed_forward_length");
  c["num_hidden_layers"] = r.get_u32(a + "block_count");
  c["num_attention_heads"] = n_head;
  c["num_key_value_heads"] = n_head_kv;
  c["head_dim"] = head_dim;
  c["vocab_size"] = embd->dims[1];
  c["max_position_embeddings"] = r.get_u32(a + "context_length");
  c["rms_norm_eps"] = r.get_f32(a + "attention.layer_norm_rms_epsilon");
  const Value* fb = r.find(a + "rope.freq_base");
  c["rope_theta"] = fb && fb->type == ValueType::F32 ? fb->f : 10000.0;
  if (const Value* st = r.find(a + "rope.scaling.type"); st && st->type == ValueType::STRING && st->s != "none") {
    if (st->s != "linear") fail(gguf_path, "rope scaling '" + st->s + "' is not supported for evaluation");
    c["rope_scaling"] = {{"type", "linear"}, {"rope_type", "linear"}, {"factor", r.get_f32(a + "rope.scaling.factor")}};
  }
  c["tie_word_embeddings"] = tied;
  c["attention_bias"] = false;
  c["mlp_bias"] = false;
  c["torch_dtype"] = "float32";
  if (const Value* b = r.find("tokenizer.ggml.bos_token_id"); b && b->type == ValueType::U32) c["bos_token_id"] = b->u;
  if (const Value* e = r.find("tokenizer.ggml.eos_token_id"); e && e->type == ValueType::U32) c["eos_token_id"] = e->u;

  fs::create_directories(out_dir);
  write_file_atomic(out_dir + "/config.json", c.dump(2));
  ShardedSafetensorsWriter w(out_dir, 4ull << 30);
  for (const TensorEntry& t : r.tensors()) {
    const std::string name = hf_name(t.name, gguf_path);
    std::vector<float> v(static_cast<size_t>(t.numel()));
    const size_t rb = ggml::row_bytes(t.type, t.dims[0]);
    for (int64_t row = 0; row < t.rows(); ++row) ggml::dequantize_row(t.type, r.data(t) + row * rb, t.dims[0], v.data() + row * t.dims[0]);
    if (arch == "llama") {
      const bool q = t.name.find(".attn_q.") != std::string::npos, k = t.name.find(".attn_k.") != std::string::npos;
      if (q || k) unpermute_qk_rows(v.data(), q ? n_head : n_head_kv, head_dim, t.dims.size() == 1 ? 1 : t.dims[0]);
    }
    TensorBytes tb;
    tb.name = name;
    tb.dtype = DType::F32;
    tb.shape.assign(t.dims.rbegin(), t.dims.rend());
    tb.bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    w.add(std::move(tb));
  }
  w.finish();
  if (!tokenizer_dir.empty()) {
    if (!fs::exists(tokenizer_dir + "/tokenizer.json")) fail(tokenizer_dir, "no tokenizer.json");
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"})
      if (fs::exists(tokenizer_dir + "/" + f)) fs::copy_file(tokenizer_dir + "/" + f, out_dir + "/" + f, fs::copy_options::overwrite_existing);
  }
}

TempHfDir gguf_to_temp_hf(const std::string& gguf_path, const std::string& tokenizer_dir) {
  static int counter = 0;
  const fs::path dir = fs::temp_directory_path() / ("arecipe-gguf-eval-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  TempHfDir t(dir.string());
  gguf_to_hf(gguf_path, dir.string(), tokenizer_dir);
  return t;
}

}  // namespace arecipe::gguf
