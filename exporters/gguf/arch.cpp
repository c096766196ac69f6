#include "exporters/gguf/arch.h"

#include <cstring>
#include <regex>
#include <vector>

#include "engine/util/error.h"

namespace arecipe::gguf {

ArchPlan plan_arch(const ModelConfig& cfg) {
  ArchPlan p;
  const std::string& mt = cfg.model_type;
  if (mt == "llama" || mt == "mistral") {
    p.arch = "llama";
    p.permute_qk = true;
  } else if (mt == "qwen2") {
    p.arch = "qwen2";
  } else if (mt == "qwen3") {
    p.arch = "qwen3";
  } else {
    fail(cfg.path, "GGUF export does not support model_type '" + mt + "' (supported: llama, mistral, qwen2, qwen3)");
  }
  if (cfg.sliding_window) fail(cfg.path, "GGUF export does not support sliding-window attention yet");
  if (p.arch == "llama" && cfg.attention_bias)
    fail(cfg.path, "GGUF export of llama with attention biases is not supported yet");
  if (cfg.mlp_bias) fail(cfg.path, "GGUF export does not support MLP biases yet");
  p.n_layer = cfg.num_hidden_layers;
  p.n_head = cfg.num_attention_heads;
  p.n_head_kv = cfg.num_key_value_heads ? cfg.num_key_value_heads : cfg.num_attention_heads;
  p.head_dim = cfg.head_dim ? cfg.head_dim : cfg.hidden_size / cfg.num_attention_heads;
  if (p.permute_qk && p.head_dim % 2 != 0) fail(cfg.path, "head_dim must be even for llama's rope");
  auto u32 = [&](const char* what, int64_t v) {
    if (v <= 0 || v > UINT32_MAX) fail(cfg.path, std::string(what) + " " + std::to_string(v) + " does not fit GGUF's UINT32");
    return Value::u32(static_cast<uint32_t>(v));
  };
  const std::string a = p.arch + ".";
  Metadata& m = p.hparams;
  m.emplace_back("general.architecture", Value::str(p.arch));
  m.emplace_back(a + "context_length", u32("max_position_embeddings", cfg.max_position_embeddings));
  m.emplace_back(a + "embedding_length", u32("hidden_size", cfg.hidden_size));
  m.emplace_back(a + "block_count", u32("num_hidden_layers", cfg.num_hidden_layers));
  m.emplace_back(a + "feed_forward_length", u32("intermediate_size", cfg.intermediate_size));
  m.emplace_back(a + "attention.head_count", u32("num_attention_heads", p.n_head));
  m.emplace_back(a + "attention.head_count_kv", u32("num_key_value_heads", p.n_head_kv));
  m.emplace_back(a + "rope.freq_base", Value::f32(static_cast<float>(cfg.rope.theta)));
  m.emplace_back(a + "attention.layer_norm_rms_epsilon", Value::f32(static_cast<float>(cfg.rms_norm_eps)));
  m.emplace_back(a + "rope.dimension_count", u32("head_dim", p.head_dim));
  if (p.head_dim * p.n_head != cfg.hidden_size) {
    m.emplace_back(a + "attention.key_length", u32("head_dim", p.head_dim));
    m.emplace_back(a + "attention.value_length", u32("head_dim", p.head_dim));
  }
  if (cfg.vocab_size > 0) m.emplace_back(a + "vocab_size", u32("vocab_size", cfg.vocab_size));
  const std::string& rt = cfg.rope.type;
  if (rt == "linear") {
    m.emplace_back(a + "rope.scaling.type", Value::str("linear"));
    m.emplace_back(a + "rope.scaling.factor", Value::f32(static_cast<float>(cfg.rope.factor)));
  } else if (rt != "default" && !rt.empty()) {
    fail(cfg.path, "GGUF export does not support rope scaling '" + rt + "' yet (supported: none, linear)");
  }
  return p;
}

std::optional<std::string> gguf_tensor_name(const std::string& hf, const std::string& where) {
  static const std::vector<std::pair<std::string, std::string>> top = {
      {"model.embed_tokens.weight", "token_embd.weight"},
      {"model.norm.weight", "output_norm.weight"},
      {"lm_head.weight", "output.weight"},
  };
  for (const auto& [h, g] : top)
    if (hf == h) return g;
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+))");
  static const std::vector<std::pair<std::string, std::string>> inner = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},
      {"self_attn.v_proj.bias", "attn_v.bias"},
      {"self_attn.o_proj.bias", "attn_output.bias"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"},
      {"self_attn.k_norm.weight", "attn_k_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},
  };
  std::smatch mm;
  if (std::regex_match(hf, mm, layer)) {
    const std::string rest = mm[2];
    if (rest == "self_attn.rotary_emb.inv_freq") return std::nullopt;
    for (const auto& [h, g] : inner)
      if (rest == h) return "blk." + mm[1].str() + "." + g;
  }
  fail(where, "GGUF export cannot place tensor '" + hf + "'");
}

int layer_of(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  int v = 0;
  size_t i = 4;
  if (i >= name.size() || !std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) v = v * 10 + (name[i++] - '0');
  return v;
}

void permute_qk_row_bytes(uint8_t* data, int64_t heads, int64_t head_dim, size_t row_bytes) {
  const int64_t half = head_dim / 2;
  std::vector<uint8_t> tmp(static_cast<size_t>(head_dim) * row_bytes);
  for (int64_t h = 0; h < heads; ++h) {
    uint8_t* base = data + static_cast<size_t>(h * head_dim) * row_bytes;
    for (int64_t i = 0; i < half; ++i) {
      std::memcpy(&tmp[static_cast<size_t>(2 * i) * row_bytes], base + static_cast<size_t>(i) * row_bytes, row_bytes);
      std::memcpy(&tmp[static_cast<size_t>(2 * i + 1) * row_bytes], base + static_cast<size_t>(i + half) * row_bytes, row_bytes);
    }
    std::memcpy(base, tmp.data(), tmp.size());
  }
}

void permute_qk_rows(float* data, int64_t heads, int64_t head_dim, int64_t cols) {
  permute_qk_row_bytes(reinterpret_cast<uint8_t*>(data), heads, head_dim, static_cast<size_t>(cols) * sizeof(float));
}

}  // namespace arecipe::gguf
