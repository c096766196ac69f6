// Every published recipe plans against the committed config of the model it is for,
// and the DeepSeek-R1 int2-mixed recipe reproduces the checkpoint's layer mix.
#include <gtest/gtest.h>

#include <chrono>

#include "autoscheme/planning.h"
#include "autoscheme/report.h"
#include "schemes/bits.h"

using namespace arecipe;
using namespace arecipe::autoscheme;

namespace {
Planned plan(const std::string& recipe, const std::string& config_dir) {
  PlanRequest req;
  req.recipe = recipe;
  req.model = config_dir;
  return plan_recipe(req);
}
}  // namespace

TEST(Published, DeepSeekR1Int2MixedFromConfigAlone) {
  const auto start = std::chrono::steady_clock::now();
  Planned p = plan("recipes/deepseek-r1-int2-mixed.yaml", "tests/configs/deepseek-v3");
  const std::string json = plan_json_text(p.recipe, p.plan, p.model);
  const std::string lock = lock_json_text(p.recipe, p.plan, p.model);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.0);
  EXPECT_TRUE(p.plan.warnings.empty());
  size_t experts = 0;
  for (const auto& l : p.plan.layers) {
    const Role r = l.layer.role;
    if (r == Role::expert_gate || r == Role::expert_up || r == Role::expert_down) {
      ++experts;
      ASSERT_EQ(l.scheme.bits, 2) << l.layer.name;
      ASSERT_EQ(l.scheme.group_size, 64) << l.layer.name;
      ASSERT_FALSE(l.keep);
    } else if (r == Role::router || r == Role::lm_head) {
      ASSERT_TRUE(l.keep) << l.layer.name;
    } else {
      // Attention (MLA), shared experts, and the dense MLPs of blocks 0-2.
      ASSERT_FALSE(l.keep) << l.layer.name;
      ASSERT_EQ(l.scheme.bits, 4) << l.layer.name;
      ASSERT_EQ(l.scheme.group_size, 128) << l.layer.name;
    }
  }
  EXPECT_EQ(experts, 58u * 256 * 3);
  EXPECT_EQ(p.plan.find("model.layers.2.mlp.down_proj")->scheme.bits, 4);
  EXPECT_EQ(p.plan.find("model.layers.3.mlp.shared_experts.down_proj")->scheme.bits, 4);
  EXPECT_EQ(p.plan.find("model.layers.0.self_attn.kv_a_proj_with_mqa")->layer.out_features, 576);
  // 670.1 B linear parameters; the routed experts dominate the average.
  EXPECT_EQ(p.plan.summary.params, 670098718720);
  EXPECT_NEAR(p.plan.summary.avg_bits, 2.3448, 1e-4);
  EXPECT_NEAR(p.plan.summary.avg_weight_bits, 2.0668, 1e-4);
  EXPECT_NE(json.find("\"name\": \"model.layers.60.mlp.experts.255.down_proj\""), std::string::npos);
  EXPECT_NE(lock.find("\"lm_head\": {\"bits\":16,\"data_type\":\"float\",\"source\":"), std::string::npos);
}

TEST(Published, EveryRecipePlansOnItsConfigs) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"deepseek-r1-int2-mixed", {"deepseek-v3"}},
      {"qwen3-8b-w4a16", {"qwen3-8b"}},
      {"qwen3-8b-gguf-q4-k-m", {"qwen3-8b"}},
      {"int2-protect-template", {"deepseek-v3", "qwen3-8b", "qwen3-30b-a3b", "llama-3.1-8b"}},
  };
  for (const auto& [recipe, configs] : cases) {
    for (const auto& c : configs) {
      Planned p = plan(recipe, "tests/configs/" + c);  // by published name, not path
      EXPECT_TRUE(p.plan.warnings.empty()) << recipe << " on " << c << ": " << warnings_text(p.plan);
      EXPECT_GT(p.plan.summary.quantized, 0u);
    }
  }
}

TEST(Published, Q4KMMixtureFollowsUseMoreBits) {
  Planned p = plan("recipes/qwen3-8b-gguf-q4-k-m.yaml", "tests/configs/qwen3-8b");
  const int n = 36;
  for (int i = 0; i < n; ++i) {
    const bool more = i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    const std::string b = "model.layers." + std::to_string(i) + ".";
    EXPECT_EQ(p.plan.find(b + "self_attn.v_proj")->scheme.gguf_type, more ? "q6_k" : "q4_k") << i;
    EXPECT_EQ(p.plan.find(b + "mlp.down_proj")->scheme.gguf_type, more ? "q6_k" : "q4_k") << i;
    EXPECT_EQ(p.plan.find(b + "self_attn.k_proj")->scheme.gguf_type, "q4_k") << i;
  }
  EXPECT_EQ(p.plan.find("lm_head")->scheme.gguf_type, "q6_k");
}

TEST(Published, TemplateProtectsTheFirstAndLastBlock) {
  Planned p = plan("recipes/int2-protect-template.yaml", "tests/configs/qwen3-30b-a3b");
  EXPECT_EQ(p.plan.find("model.layers.0.mlp.experts.5.up_proj")->scheme.bits, 4);
  EXPECT_EQ(p.plan.find("model.layers.47.mlp.experts.5.up_proj")->scheme.bits, 4);
  EXPECT_EQ(p.plan.find("model.layers.20.mlp.experts.5.up_proj")->scheme.bits, 2);
  EXPECT_EQ(p.plan.find("model.layers.20.self_attn.o_proj")->scheme.bits, 4);
  EXPECT_TRUE(p.plan.find("model.layers.20.mlp.gate")->keep);
}
