// libFuzzer target: arbitrary bytes as a recipe file. Loading (YAML, limits, typing,
// selectors, RE2 patterns) and, when it loads, resolving against a small model must
// either succeed or throw arecipe::Error: no crash, no hang, no unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "autoscheme/resolve.h"
#include "dsl/loader.h"
#include "engine/util/error.h"

namespace {
const arecipe::Inventory& inventory() {
  static const arecipe::Inventory inv = arecipe::inventory_from_config(arecipe::parse_model_config(
      R"({"architectures":["Qwen3MoeForCausalLM"],"hidden_size":64,"intermediate_size":128,"moe_intermediate_size":32,
          "num_experts":4,"num_hidden_layers":3,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":32,
          "vocab_size":128,"mlp_only_layers":[0]})",
      "fuzz/config.json"));
  return inv;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // A folder that does not exist: `extends:` cannot reach real files.
    const arecipe::dsl::Recipe r = arecipe::dsl::load_recipe_text(text, "/nonexistent-fuzz-dir/fuzz.yaml");
    arecipe::autoscheme::resolve(r, inventory());
  } catch (const arecipe::Error&) {
  }
  return 0;
}
