// The quantizable linears of a model, computed from config.json alone (no weights):
// names, roles, block indices and shapes. This is what recipes are resolved against.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/model/hf_config.h"

namespace arecipe {

// What a linear layer does, independent of its architecture's naming.
enum class Role {
  attn_q, attn_k, attn_v, attn_o,
  mlp_gate, mlp_up, mlp_down,
  expert_gate, expert_up, expert_down,
  shared_gate, shared_up, shared_down,
  router, lm_head, embed,
};

const char* role_name(Role r);
std::optional<Role> role_from_name(const std::string& s);
const std::vector<Role>& all_roles();

struct LayerInfo {
  std::string name;  // HF module name, e.g. "model.layers.0.self_attn.q_proj"
  Role role;
  int block = -1;  // decoder block index; -1 outside blocks (lm_head)
  int64_t out_features = 0;
  int64_t in_features = 0;
  std::string weight_name() const { return name + ".weight"; }
};

struct Inventory {
  std::string architecture;
  int num_blocks = 0;
  std::vector<LayerInfo> layers;  // block order, then role order within a block
};

// Throws Error("<config path>: unsupported architecture 'X' (supported: ...)") for an
// architecture not in plannable_architectures().
Inventory inventory_from_config(const ModelConfig& config);

// Architectures this build can run (load weights, forward, tune): the Llama family
// and the MoE families DeepseekV3ForCausalLM and Qwen3MoeForCausalLM.
const std::vector<std::string>& supported_architectures();

// Architectures whose inventory is known from config.json alone, so recipes can be
// planned against them (`arecipe plan`). Today the same list as
// supported_architectures(); kept apart so planning may run ahead of the runtime.
const std::vector<std::string>& plannable_architectures();

// Whether block `b` has routed experts (router + experts) rather than a dense MLP:
// Qwen3-MoE by mlp_only_layers / decoder_sparse_step, DeepSeek-V3 by
// first_k_dense_replace / moe_layer_freq, as transformers builds the model.
bool is_moe_block(const ModelConfig& config, int b);
// Routed experts per MoE block (num_experts / n_routed_experts, or transformers 5's
// num_local_experts); 0 for dense models.
int64_t num_routed_experts(const ModelConfig& config);

}  // namespace arecipe
