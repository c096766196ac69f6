#include "engine/model/hf_config.h"

#include "engine/util/error.h"
#include "engine/util/files.h"

namespace arecipe {

using nlohmann::json;

namespace {

struct Reader {
  const json& j;
  const std::string& path;

  const json* get(const char* key) const {
    auto it = j.find(key);
    return (it == j.end() || it->is_null()) ? nullptr : &*it;
  }
  int64_t required_int(const char* key) const {
    const json* v = get(key);
    if (!v) fail(path, std::string("missing field '") + key + "'");
    if (!v->is_number_integer() || v->get<int64_t>() <= 0)
      fail(path, std::string("field '") + key + "' must be a positive integer");
    return v->get<int64_t>();
  }
  int64_t optional_int(const char* key, int64_t fallback) const {
    const json* v = get(key);
    if (!v) return fallback;
    if (!v->is_number_integer()) fail(path, std::string("field '") + key + "' must be an integer");
    return v->get<int64_t>();
  }
  double optional_number(const char* key, double fallback) const {
    const json* v = get(key);
    if (!v) return fallback;
    if (!v->is_number()) fail(path, std::string("field '") + key + "' must be a number");
    return v->get<double>();
  }
  bool optional_bool(const char* key, bool fallback) const {
    const json* v = get(key);
    if (!v) return fallback;
    if (!v->is_boolean()) fail(path, std::string("field '") + key + "' must be true or false");
    return v->get<bool>();
  }
};

// Transformers < 5 writes rope_theta + rope_scaling{type|rope_type, factor, ...};
// transformers >= 5 writes rope_parameters{rope_type, rope_theta, factor, ...}.
RopeConfig parse_rope(const json& j, const std::string& path) {
  RopeConfig rope;
  Reader top{j, path};
  rope.theta = top.optional_number("rope_theta", rope.theta);
  const json* scaling = top.get("rope_parameters");
  if (!scaling) scaling = top.get("rope_scaling");
  if (!scaling) return rope;
  if (!scaling->is_object()) fail(path, "rope_scaling must be an object");
  Reader r{*scaling, path};
  const json* type = r.get("rope_type");
  if (!type) type = r.get("type");
  if (type) {
    if (!type->is_string()) fail(path, "rope type must be a string");
    rope.type = type->get<std::string>();
  }
  rope.theta = r.optional_number("rope_theta", rope.theta);
  rope.factor_given = r.get("factor") != nullptr;
  rope.factor = r.optional_number("factor", rope.factor);
  rope.low_freq_factor = r.optional_number("low_freq_factor", rope.low_freq_factor);
  rope.high_freq_factor = r.optional_number("high_freq_factor", rope.high_freq_factor);
  // transformers' standardize_rope_params: absent -> max_position_embeddings.
  const int64_t max_pos = top.optional_int("max_position_embeddings", 0);
  rope.original_max_position_embeddings =
      r.optional_int("original_max_position_embeddings", max_pos > 0 ? max_pos : rope.original_max_position_embeddings);
  if (r.get("attention_factor")) rope.attention_factor = r.optional_number("attention_factor", 1.0);
  rope.mscale = r.optional_number("mscale", 0.0);
  rope.mscale_all_dim = r.optional_number("mscale_all_dim", 0.0);
  // Python reads these with `get(...) or default`: 0 means the default too.
  if (double v = r.optional_number("beta_fast", 0.0); v != 0.0) rope.beta_fast = v;
  if (double v = r.optional_number("beta_slow", 0.0); v != 0.0) rope.beta_slow = v;
  rope.truncate = r.optional_bool("truncate", true);
  if (rope.type == "yarn" && !rope.factor_given && max_pos > 0)
    rope.factor = static_cast<double>(max_pos) / static_cast<double>(rope.original_max_position_embeddings);
  if (rope.factor <= 0) fail(path, "rope scaling factor must be positive");
  return rope;
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& path) {
  json j;
  try {
    j = json::parse(json_text);
  } catch (const json::exception& e) {
    fail(path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(path, "not a JSON object");
  Reader r{j, path};
  ModelConfig c;
  c.path = path;
  c.raw = j;
  if (const json* a = r.get("architectures")) {
    if (!a->is_array() || a->empty() || !(*a)[0].is_string())
      fail(path, "field 'architectures' must be a non-empty list of names");
    c.architecture = (*a)[0].get<std::string>();
  } else {
    fail(path, "missing field 'architectures'");
  }
  if (const json* t = r.get("model_type"); t && t->is_string()) c.model_type = t->get<std::string>();
  c.hidden_size = r.required_int("hidden_size");
  c.num_hidden_layers = r.required_int("num_hidden_layers");
  c.num_attention_heads = r.required_int("num_attention_heads");
  c.vocab_size = r.required_int("vocab_size");
  c.intermediate_size = r.optional_int("intermediate_size", 0);
  c.num_key_value_heads = r.optional_int("num_key_value_heads", c.num_attention_heads);
  c.head_dim = r.optional_int("head_dim", c.hidden_size / c.num_attention_heads);
  if (c.num_key_value_heads <= 0 || c.num_attention_heads % c.num_key_value_heads != 0)
    fail(path, "num_attention_heads must be a multiple of num_key_value_heads");
  c.max_position_embeddings = r.optional_int("max_position_embeddings", 0);
  c.rms_norm_eps = r.optional_number("rms_norm_eps", c.rms_norm_eps);
  c.rope = parse_rope(j, path);
  c.tie_word_embeddings = r.optional_bool("tie_word_embeddings", false);
  c.attention_bias = r.optional_bool("attention_bias", false);
  c.mlp_bias = r.optional_bool("mlp_bias", false);
  // Mistral/Qwen2 carry a window; Qwen2 applies it only when use_sliding_window is set.
  if (const json* w = r.get("sliding_window"); w && w->is_number_integer()) {
    bool enabled = r.optional_bool("use_sliding_window", c.model_type == "mistral");
    if (enabled) c.sliding_window = w->get<int64_t>();
  }
  if (const json* d = r.get("torch_dtype"); d && d->is_string()) c.torch_dtype = d->get<std::string>();
  if (const json* d = r.get("dtype"); d && d->is_string()) c.torch_dtype = d->get<std::string>();
  if (const json* b = r.get("bos_token_id"); b && b->is_number_integer()) c.bos_token_id = b->get<int64_t>();
  if (const json* e = r.get("eos_token_id")) {
    if (e->is_number_integer()) c.eos_token_ids.push_back(e->get<int64_t>());
    if (e->is_array())
      for (const auto& x : *e)
        if (x.is_number_integer()) c.eos_token_ids.push_back(x.get<int64_t>());
  }
  return c;
}

ModelConfig load_model_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  return parse_model_config(read_text_file(path, 16u << 20), path);
}

}  // namespace arecipe
