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
}  // namespace

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
  static const std::vector<std::string> names = {"LlamaForCausalLM", "MistralForCausalLM",
                                                 "Qwen2ForCausalLM", "Qwen3ForCausalLM"};
  return names;
}

Inventory inventory_from_config(const ModelConfig& c) {
  const auto& sup = supported_architectures();
  if (std::find(sup.begin(), sup.end(), c.architecture) == sup.end()) {
    std::string list;
    for (const auto& s : sup) list += (list.empty() ? "" : ", ") + s;
    fail(c.path, "unsupported architecture '" + c.architecture + "' (supported: " + list + ")");
  }
  if (c.intermediate_size <= 0) fail(c.path, "missing field 'intermediate_size'");
  Inventory inv;
  inv.architecture = c.architecture;
  inv.num_blocks = static_cast<int>(c.num_hidden_layers);
  for (int b = 0; b < inv.num_blocks; ++b) add_llama_family_block(c, b, inv.layers);
  // A tied lm_head is the embedding matrix: quantizing it would quantize the input
  // embedding too, so it is not offered as a separate linear.
  if (!c.tie_word_embeddings) inv.layers.push_back({"lm_head", Role::lm_head, -1, c.vocab_size, c.hidden_size});
  return inv;
}

}  // namespace arecipe
