// Small helpers for planning inline recipes against inline or committed configs.
#pragma once
#include <string>

#include "autoscheme/resolve.h"
#include "dsl/loader.h"
#include "engine/model/hf_config.h"

namespace arecipe::testing {

// A 4-block Llama with dims that every group size divides.
inline ModelConfig tiny_llama(int hidden = 256, int intermediate = 512, int heads = 4) {
  return parse_model_config(R"({"architectures":["LlamaForCausalLM"],"hidden_size":)" + std::to_string(hidden) +
                                R"(,"intermediate_size":)" + std::to_string(intermediate) +
                                R"(,"num_hidden_layers":4,"num_attention_heads":)" + std::to_string(heads) +
                                R"(,"num_key_value_heads":)" + std::to_string(heads == 1 ? 1 : 2) + R"(,"vocab_size":1024})",
                            "tiny/config.json");
}

inline autoscheme::Plan plan_text(const std::string& recipe, const ModelConfig& config = tiny_llama()) {
  const dsl::Recipe r = dsl::load_recipe_text(recipe, "r.yaml");
  return autoscheme::resolve(r, inventory_from_config(config));
}

}  // namespace arecipe::testing
