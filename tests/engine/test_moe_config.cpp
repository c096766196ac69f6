// The released DeepSeek-V3 and Qwen3-30B-A3B configs (tests/configs) through the
// parser, the inventory and the adapters' config checks: the real models are
// accepted, their yarn numbers equal transformers', routers are roles of their own.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/model/architecture.h"
#include "engine/model/hf_config.h"
#include "engine/model/inventory.h"
#include "engine/model/layers.h"

using namespace arecipe;

TEST(MoeConfig, DeepSeekV3ReleaseYarn) {
  // The release spells rope as rope_theta + rope_scaling{type: yarn} (transformers < 5).
  const ModelConfig c = load_model_config("tests/configs/deepseek-v3");
  EXPECT_EQ(c.rope.type, "yarn");
  EXPECT_EQ(c.rope.factor, 40.0);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 4096);
  EXPECT_EQ(c.rope.mscale, 1.0);
  EXPECT_EQ(c.rope.mscale_all_dim, 1.0);
  EXPECT_EQ(rope_attention_factor(c.rope), 1.0);  // mscale / mscale_all_dim
  // transformers 5.23 _compute_yarn_parameters for this config (qk_rope_head_dim 64):
  // inv_freq[0, 5, 10, 15, 20, 31].
  const at::Tensor inv = rope_inv_freq(c.rope, 64);
  const double want[] = {1.000000000e+00, 2.371373624e-01, 5.623412877e-02,
                         8.334509097e-03, 7.905694074e-04, 3.333803534e-06};
  const int64_t at_index[] = {0, 5, 10, 15, 20, 31};
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(inv[at_index[i]].item<double>(), want[i], want[i] * 1e-6) << "inv_freq[" << at_index[i] << "]";
  // yarn_apply_mscale(rope_parameters, 192 ** -0.5) in transformers: 0.1352337788608801.
  const double m = yarn_mscale(c.rope.factor, c.rope.mscale_all_dim);
  EXPECT_NEAR(m * m / std::sqrt(192.0), 0.1352337788608801, 1e-15);
}

TEST(MoeConfig, ReleasedConfigsBuildAdapters) {
  for (const char* dir : {"tests/configs/deepseek-v3", "tests/configs/qwen3-30b-a3b"}) {
    const ModelConfig c = load_model_config(dir);
    EXPECT_NO_THROW(make_architecture(c)) << dir;
  }
}

TEST(MoeConfig, DeepSeekV3ReleaseInventory) {
  const ModelConfig c = load_model_config("tests/configs/deepseek-v3");
  const Inventory inv = inventory_from_config(c);
  EXPECT_EQ(num_routed_experts(c), 256);
  int routers = 0, experts = 0, shared = 0, dense = 0;
  for (const auto& l : inv.layers) {
    routers += l.role == Role::router;
    experts += l.role == Role::expert_gate || l.role == Role::expert_up || l.role == Role::expert_down;
    shared += l.role == Role::shared_gate || l.role == Role::shared_up || l.role == Role::shared_down;
    dense += l.role == Role::mlp_gate;
  }
  EXPECT_EQ(dense, 3);              // first_k_dense_replace
  EXPECT_EQ(routers, 58);           // 61 blocks - 3 dense
  EXPECT_EQ(experts, 58 * 256 * 3);
  EXPECT_EQ(shared, 58 * 3);
  const auto adapter = make_architecture(c);
  const auto shapes = adapter->block_tensor_shapes(3);
  const auto has = [&](const std::string& n, std::vector<int64_t> s) {
    for (const auto& [name, shape] : shapes)
      if (name == n) return shape == s;
    return false;
  };
  EXPECT_TRUE(has("model.layers.3.self_attn.q_b_proj.weight", {128 * 192, 1536}));
  EXPECT_TRUE(has("model.layers.3.self_attn.kv_a_proj_with_mqa.weight", {576, 7168}));
  EXPECT_TRUE(has("model.layers.3.mlp.gate.e_score_correction_bias", {256}));
  EXPECT_TRUE(has("model.layers.3.mlp.experts.255.down_proj.weight", {7168, 2048}));
  EXPECT_TRUE(has("model.layers.3.mlp.shared_experts.up_proj.weight", {2048, 7168}));
}

TEST(MoeConfig, Qwen3MoeSparseBlocks) {
  ModelConfig c = load_model_config("tests/configs/qwen3-30b-a3b");
  for (int b = 0; b < 48; ++b) EXPECT_TRUE(is_moe_block(c, b)) << b;
  // transformers: (b + 1) % decoder_sparse_step == 0, and never in mlp_only_layers.
  c.raw["decoder_sparse_step"] = 2;
  c.raw["mlp_only_layers"] = {5};
  EXPECT_FALSE(is_moe_block(c, 0));
  EXPECT_TRUE(is_moe_block(c, 1));
  EXPECT_FALSE(is_moe_block(c, 5));
  EXPECT_TRUE(is_moe_block(c, 7));
  // transformers >= 5 saves num_experts as num_local_experts.
  c.raw.erase("num_experts");
  c.raw["num_local_experts"] = 64;
  EXPECT_EQ(num_routed_experts(c), 64);
}
