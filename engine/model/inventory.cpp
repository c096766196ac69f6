#include "engine/model/inventory.h"

#include <algorithm>

#include "engine/util/error.h"

namespace arecipe {

namespace {
struct RoleEntry {
  Role role;
  const char* name;
};
constexpr RoleEntry kRoles[] = {
    {Role::attn_q, "attn_q"},           {Role::attn_k, "attn_k"},
    {Role::attn_v, "attn_v"},           {Role::attn_o, "attn_o"},
    {Role::mlp_gate, "mlp_gate"},       {Role::mlp_up, "mlp_up"},
    {Role::mlp_down, "mlp_down"},       {Role::expert_gate, "expert_gate"},
    {Role::expert_up, "expert_up"},     {Role::expert_down, "expert_down"},
    {Role::shared_gate, "shared_gate"}, {Role::shared_up, "shared_up"},
    {Role::shared_down, "shared_down"}, {Role::router, "router"},
    {Role::lm_head, "lm_head"},         {Role::embed, "embed"},
};

// Llama, Qwen2, Qwen3 and Mistral share HF module names and shapes.
void add_llama_family_block(const ModelConfig& c, int b, std::vector<LayerInfo>& out) {
  const std::string p = "model.layers." + std::to_string(b) + ".";
  const int64_t h = c.hidden_size, q = c.num_attention_heads * c.head_dim,
                kv = c.num_key_value_heads * c.head_dim, f = c.intermediate_size;
  out.push_back({p + "self_attn.q_proj", Role::attn_q, b, q, h});
  out.push_back({p + "self_attn.k_proj", Role::attn_k, b, kv, h});
  out.push_back({p + "self_attn.v_proj", Role::attn_v, b, kv, h});
  out.push_back({p + "self_attn.o_proj", Role::attn_o, b, h, q});
  out.push_back({p + "mlp.gate_proj", Role::mlp_gate, b, f, h});
  out.push_back({p + "mlp.up_proj", Role::mlp_up, b, f, h});
  out.push_back({p + "mlp.down_proj", Role::mlp_down, b, h, f});
}
int64_t int_field(const ModelConfig& c, const char* key, int64_t fallback) {
  auto it = c.raw.find(key);
  if (it == c.raw.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    fail(c.path, std::string("field '") + key + "' must be a non-negative integer");
  return it->get<int64_t>();
}

int64_t required_field(const ModelConfig& c, const char* key) {
  int64_t v = int_field(c, key, -1);
  if (v <= 0) fail(c.path, std::string("missing field '") + key + "'");
  return v;
}

void add_attention(const ModelConfig& c, const std::string& p, int b, std::vector<LayerInfo>& out) {
  const int64_t h = c.hidden_size, q = c.num_attention_heads * c.head_dim,
                kv = c.num_key_value_heads * c.head_dim;
  out.push_back({p + "self_attn.q_proj", Role::attn_q, b, q, h});
  out.push_back({p + "self_attn.k_proj", Role::attn_k, b, kv, h});
  out.push_back({p + "self_attn.v_proj", Role::attn_v, b, kv, h});
  out.push_back({p + "self_attn.o_proj", Role::attn_o, b, h, q});
}

void add_dense_mlp(const std::string& p, int b, int64_t h, int64_t f, std::vector<LayerInfo>& out) {
  out.push_back({p + "mlp.gate_proj", Role::mlp_gate, b, f, h});
  out.push_back({p + "mlp.up_proj", Role::mlp_up, b, f, h});
  out.push_back({p + "mlp.down_proj", Role::mlp_down, b, h, f});
}

// Routed experts "mlp.experts.{e}.{gate,up,down}_proj", expert by expert.
void add_experts(const std::string& p, int b, int64_t n, int64_t h, int64_t f, std::vector<LayerInfo>& out) {
  for (int64_t e = 0; e < n; ++e) {
    const std::string x = p + "mlp.experts." + std::to_string(e) + ".";
    out.push_back({x + "gate_proj", Role::expert_gate, b, f, h});
    out.push_back({x + "up_proj", Role::expert_up, b, f, h});
    out.push_back({x + "down_proj", Role::expert_down, b, h, f});
  }
}

// Qwen3-MoE: Qwen3 attention; a block is sparse unless listed in mlp_only_layers or
// skipped by decoder_sparse_step. The router is "mlp.gate" [num_experts, hidden].
void add_qwen3_moe_block(const ModelConfig& c, int b, std::vector<LayerInfo>& out) {
  const std::string p = "model.layers." + std::to_string(b) + ".";
  add_attention(c, p, b, out);
  const int64_t experts = num_routed_experts(c);
  if (is_moe_block(c, b)) {
    const int64_t f = required_field(c, "moe_intermediate_size");
    out.push_back({p + "mlp.gate", Role::router, b, experts, c.hidden_size});
    add_experts(p, b, experts, c.hidden_size, f, out);
  } else {
    add_dense_mlp(p, b, c.hidden_size, c.intermediate_size, out);
  }
}

// DeepSeek-V3 / R1: multi-head latent attention (q_a/q_b low-rank query, kv_a with the
// shared rope key, kv_b expanding the latent to per-head k_nope and v), the first
// first_k_dense_replace blocks dense, the rest routed experts + shared experts.
// Roles: q_a/q_b -> attn_q, kv_a_proj_with_mqa -> attn_k, kv_b_proj -> attn_v (it
// produces the values; llama.cpp's mixtures treat attn_kv_b like attn_v), o_proj -> attn_o.
void add_deepseek_v3_block(const ModelConfig& c, int b, std::vector<LayerInfo>& out) {
  const std::string p = "model.layers." + std::to_string(b) + ".";
  const int64_t h = c.hidden_size, heads = c.num_attention_heads;
  const int64_t nope = required_field(c, "qk_nope_head_dim"), rope = required_field(c, "qk_rope_head_dim"),
                v = required_field(c, "v_head_dim"), kv_rank = required_field(c, "kv_lora_rank"),
                q_rank = int_field(c, "q_lora_rank", 0);
  if (q_rank > 0) {
    out.push_back({p + "self_attn.q_a_proj", Role::attn_q, b, q_rank, h});
    out.push_back({p + "self_attn.q_b_proj", Role::attn_q, b, heads * (nope + rope), q_rank});
  } else {
    out.push_back({p + "self_attn.q_proj", Role::attn_q, b, heads * (nope + rope), h});
  }
  out.push_back({p + "self_attn.kv_a_proj_with_mqa", Role::attn_k, b, kv_rank + rope, h});
  out.push_back({p + "self_attn.kv_b_proj", Role::attn_v, b, heads * (nope + v), kv_rank});
  out.push_back({p + "self_attn.o_proj", Role::attn_o, b, h, heads * v});
  const int64_t experts = num_routed_experts(c);
  if (is_moe_block(c, b)) {
    const int64_t f = required_field(c, "moe_intermediate_size");
    out.push_back({p + "mlp.gate", Role::router, b, experts, h});
    add_experts(p, b, experts, h, f, out);
    const int64_t shared = int_field(c, "n_shared_experts", 0);
    if (shared > 0) {
      const std::string s = p + "mlp.shared_experts.";
      out.push_back({s + "gate_proj", Role::shared_gate, b, f * shared, h});
      out.push_back({s + "up_proj", Role::shared_up, b, f * shared, h});
      out.push_back({s + "down_proj", Role::shared_down, b, h, f * shared});
    }
  } else {
    add_dense_mlp(p, b, h, c.intermediate_size, out);
  }
}

bool listed(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

int64_t num_routed_experts(const ModelConfig& c) {
  // Released configs say num_experts (Qwen3-MoE) / n_routed_experts (DeepSeek);
  // transformers >= 5 writes its attribute name num_local_experts instead.
  const char* key = c.architecture == "DeepseekV3ForCausalLM" ? "n_routed_experts" : "num_experts";
  const int64_t n = int_field(c, key, -1);
  return n >= 0 ? n : std::max<int64_t>(0, int_field(c, "num_local_experts", 0));
}

bool is_moe_block(const ModelConfig& c, int b) {
  if (c.architecture == "Qwen3MoeForCausalLM") {
    // transformers: not in mlp_only_layers and num_experts > 0 and (b+1) % step == 0.
    const int64_t step = int_field(c, "decoder_sparse_step", 1);
    if (step <= 0) fail(c.path, "field 'decoder_sparse_step' must be a positive integer");
    if (auto it = c.raw.find("mlp_only_layers"); it != c.raw.end() && !it->is_null()) {
      if (!it->is_array()) fail(c.path, "field 'mlp_only_layers' must be a list of block indices");
      for (const auto& x : *it) {
        if (!x.is_number_integer()) fail(c.path, "field 'mlp_only_layers' must be a list of block indices");
        if (x.get<int64_t>() == b) return false;
      }
    }
    return num_routed_experts(c) > 0 && (b + 1) % step == 0;
  }
  if (c.architecture == "DeepseekV3ForCausalLM") {
    // transformers: b >= first_k_dense_replace; DeepSeek's own code also requires
    // b % moe_layer_freq == 0 (1 in every released config).
    const int64_t freq = int_field(c, "moe_layer_freq", 1);
    if (freq <= 0) fail(c.path, "field 'moe_layer_freq' must be a positive integer");
    return num_routed_experts(c) > 0 && b >= int_field(c, "first_k_dense_replace", 0) && b % freq == 0;
  }
  return false;
}

const char* role_name(Role r) { return kRoles[static_cast<int>(r)].name; }

std::optional<Role> role_from_name(const std::string& s) {
  for (const auto& e : kRoles)
    if (s == e.name) return e.role;
  return std::nullopt;
}

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles = [] {
    std::vector<Role> v;
    for (const auto& e : kRoles) v.push_back(e.role);
    return v;
  }();
  return roles;
}

const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> names = {"LlamaForCausalLM",    "MistralForCausalLM",
                                                 "Qwen2ForCausalLM",    "Qwen3ForCausalLM",
                                                 "Qwen3MoeForCausalLM", "DeepseekV3ForCausalLM"};
  return names;
}

const std::vector<std::string>& plannable_architectures() { return supported_architectures(); }

Inventory inventory_from_config(const ModelConfig& c) {
  const auto& sup = plannable_architectures();
  if (!listed(sup, c.architecture)) {
    std::string list;
    for (const auto& s : sup) list += (list.empty() ? "" : ", ") + s;
    fail(c.path, "unsupported architecture '" + c.architecture + "' (supported: " + list + ")");
  }
  if (c.intermediate_size <= 0) fail(c.path, "missing field 'intermediate_size'");
  Inventory inv;
  inv.architecture = c.architecture;
  inv.num_blocks = static_cast<int>(c.num_hidden_layers);
  for (int b = 0; b < inv.num_blocks; ++b) {
    if (c.architecture == "Qwen3MoeForCausalLM") add_qwen3_moe_block(c, b, inv.layers);
    else if (c.architecture == "DeepseekV3ForCausalLM") add_deepseek_v3_block(c, b, inv.layers);
    else add_llama_family_block(c, b, inv.layers);
  }
  // A tied lm_head is the embedding matrix: quantizing it would quantize the input
  // embedding too, so it is not offered as a separate linear.
  if (!c.tie_word_embeddings) inv.layers.push_back({"lm_head", Role::lm_head, -1, c.vocab_size, c.hidden_size});
  return inv;
}

}  // namespace arecipe
