#include <gtest/gtest.h>

#include "engine/model/hf_config.h"
#include "engine/model/inventory.h"
#include "engine/util/error.h"

using namespace arecipe;

TEST(Inventory, Stories260KHas35Linears) {
  ModelConfig c = load_model_config("../shared/fixtures/models/stories260K/hf");
  Inventory inv = inventory_from_config(c);
  EXPECT_EQ(inv.num_blocks, 5);
  ASSERT_EQ(inv.layers.size(), 35u);  // tied lm_head is the embedding, not offered
  EXPECT_EQ(inv.layers[4].name, "model.layers.0.mlp.gate_proj");
  EXPECT_EQ(inv.layers[4].role, Role::mlp_gate);
  EXPECT_EQ(inv.layers[6].in_features, 172);
}

TEST(Inventory, UntiedModelOffersLmHead) {
  ModelConfig c = load_model_config("tests/golden/fixtures/arch/qwen2");
  Inventory inv = inventory_from_config(c);
  EXPECT_EQ(inv.layers.back().name, "lm_head");
  EXPECT_EQ(inv.layers.back().role, Role::lm_head);
}

TEST(Inventory, UnsupportedArchitectureIsNamed) {
  ModelConfig c = parse_model_config(
      R"({"architectures":["GPTNeoXForCausalLM"],"hidden_size":8,"num_hidden_layers":1,"num_attention_heads":1,"vocab_size":8})",
      "m/config.json");
  try {
    inventory_from_config(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m/config.json: unsupported architecture 'GPTNeoXForCausalLM'"),
              std::string::npos)
        << e.what();
  }
}

TEST(Inventory, RoleNamesRoundTrip) {
  for (Role r : all_roles()) EXPECT_EQ(role_from_name(role_name(r)), r);
  EXPECT_FALSE(role_from_name("attn_z").has_value());
}
