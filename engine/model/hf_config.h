// HF config.json → typed ModelConfig. Torch-free: planning reads configs of models
// that are never downloaded (DeepSeek-R1 is planned from its config.json alone).
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace arecipe {

struct RopeConfig {
  // As written in config.json; the runtime supports default | linear | llama3 | yarn
  // and refuses others (dynamic, longrope, ...) when a model is opened, not when parsed.
  std::string type = "default";
  double theta = 10000.0;
  double factor = 1.0;
  bool factor_given = false;  // yarn derives it from the context lengths when absent
  // llama3 only
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // llama3 and yarn; transformers defaults it to max_position_embeddings.
  int64_t original_max_position_embeddings = 8192;
  // yarn only (transformers' _compute_yarn_parameters). 0 / nullopt: absent.
  std::optional<double> attention_factor;
  double mscale = 0.0;
  double mscale_all_dim = 0.0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  bool truncate = true;
};

struct ModelConfig {
  std::string path;          // where it was read from, for messages
  std::string architecture;  // architectures[0], e.g. "LlamaForCausalLM"
  std::string model_type;    // "llama", "qwen3", ...
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  RopeConfig rope;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v/o bias (Llama-style flag)
  bool mlp_bias = false;
  std::optional<int64_t> sliding_window;  // Mistral; only when enabled
  std::string torch_dtype;                // as written, e.g. "bfloat16"
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
  nlohmann::json raw;  // the whole file, for architecture-specific fields
};

// Parses config.json text; `path` names the file in errors. Throws Error on a
// missing or mistyped required field ("config.json: missing field 'hidden_size'").
ModelConfig parse_model_config(const std::string& json_text, const std::string& path);
// Reads <dir>/config.json.
ModelConfig load_model_config(const std::string& dir);

}  // namespace arecipe
