// Rule semantics: cascade, keep, defaults, provenance.
#include <gtest/gtest.h>

#include "autoscheme/explain.h"
#include "autoscheme/model_source.h"
#include "tests/autoscheme/plan_helpers.h"
#include "tests/dsl/temp_dir.h"

using namespace arecipe;
using namespace arecipe::autoscheme;
using arecipe::testing::error_of;
using arecipe::testing::plan_text;
using arecipe::testing::tiny_llama;

TEST(Resolve, EveryInBlockLinearGetsTheDefaultScheme) {
  Plan p = plan_text("arecipe: 1\nscheme: W2A16G64\n");
  const LayerPlan* l = p.find("model.layers.3.mlp.down_proj");
  ASSERT_NE(l, nullptr);
  EXPECT_FALSE(l->keep);
  EXPECT_EQ(l->scheme.bits, 2);
  EXPECT_EQ(l->scheme.group_size, 64);
  EXPECT_EQ(l->source[static_cast<size_t>(Field::bits)], kDefaultScheme);
  // Upstream keeps lm_head unless asked.
  EXPECT_TRUE(p.find("lm_head")->keep);
}

TEST(Resolve, LaterRuleOverridesOnlyTheFieldsItSets) {
  const std::string recipe = R"(arecipe: 1
scheme: W4A16
rules:
  - match: {role: attn_q}
    scheme: {bits: 8}
  - match: {blocks: "0"}
    scheme: {group_size: 32}
)";
  Plan p = plan_text(recipe);
  const LayerPlan& q0 = *p.find("model.layers.0.self_attn.q_proj");
  EXPECT_EQ(q0.scheme.bits, 8);          // rule 1
  EXPECT_EQ(q0.scheme.group_size, 32);   // rule 2
  EXPECT_TRUE(q0.scheme.sym);            // default scheme
  EXPECT_EQ(q0.source[static_cast<size_t>(Field::bits)], 1);
  EXPECT_EQ(q0.source[static_cast<size_t>(Field::group_size)], 2);
  EXPECT_EQ(q0.source[static_cast<size_t>(Field::sym)], kDefaultScheme);
  const LayerPlan& q1 = *p.find("model.layers.1.self_attn.q_proj");
  EXPECT_EQ(q1.scheme.group_size, 128);
  const dsl::Recipe r = dsl::load_recipe_text(recipe, "r.yaml");
  EXPECT_EQ(field_origin(r, q0, Field::group_size), "rule 2 (r.yaml:7:26)");
  EXPECT_EQ(field_origin(r, q0, Field::bits), "rule 1 (r.yaml:5:20)");
  EXPECT_EQ(field_origin(r, q0, Field::sym), "default scheme (r.yaml:2:9)");
}

TEST(Resolve, APresetSetsEveryField) {
  Plan p = plan_text(R"(arecipe: 1
rules:
  - {match: "*", scheme: {bits: 8, group_size: 32}}
  - {match: "*.down_proj", scheme: W2A16G64}
)");
  const LayerPlan& d = *p.find("model.layers.0.mlp.down_proj");
  EXPECT_EQ(d.scheme.bits, 2);
  EXPECT_EQ(d.scheme.group_size, 64);
  EXPECT_EQ(p.find("model.layers.0.mlp.up_proj")->scheme.bits, 8);
}

TEST(Resolve, KeepSemantics) {
  Plan p = plan_text(R"(arecipe: 1
rules:
  - {match: lm_head, scheme: {bits: 8}}
  - {match: "*.o_proj", keep: true}
  - {match: model.layers.0.self_attn.o_proj, keep: false}
)");
  // Giving a scheme un-keeps lm_head, with the default scheme's other fields.
  const LayerPlan& head = *p.find("lm_head");
  EXPECT_FALSE(head.keep);
  EXPECT_EQ(head.scheme.bits, 8);
  EXPECT_EQ(head.scheme.group_size, 128);
  EXPECT_TRUE(p.find("model.layers.1.self_attn.o_proj")->keep);
  EXPECT_FALSE(p.find("model.layers.0.self_attn.o_proj")->keep);  // last wins
}

TEST(Resolve, MoeRoutersAreKeptByDefault) {
  Plan p = plan_text("arecipe: 1\n", load_model_config("tests/configs/qwen3-30b-a3b"));
  const LayerPlan& router = *p.find("model.layers.0.mlp.gate");
  EXPECT_TRUE(router.keep);
  const dsl::Recipe r = dsl::load_recipe_text("arecipe: 1\n", "r.yaml");
  EXPECT_EQ(field_origin(r, router, Field::keep), "built-in: MoE routers stay in source precision (as upstream)");
  EXPECT_FALSE(p.find("model.layers.47.mlp.experts.127.down_proj")->keep);
  EXPECT_EQ(p.layers.size(), 48u * (4 + 1 + 128 * 3) + 1);
}

// Upstream never quantizes MoE routers: only a rule that selects them by role un-keeps
// them; one that reaches them by blocks, name or negation leaves them kept (with a
// warning when it selects nothing else).
TEST(Resolve, OnlyTheRouterRoleUnkeepsMoeRouters) {
  const ModelConfig qwen = load_model_config("tests/configs/qwen3-30b-a3b");
  Plan by_blocks = plan_text("arecipe: 1\nrules:\n  - {match: {blocks: \"0-2\"}, scheme: W4A16}\n", qwen);
  EXPECT_TRUE(by_blocks.find("model.layers.0.mlp.gate")->keep);
  EXPECT_FALSE(by_blocks.find("model.layers.0.mlp.experts.0.up_proj")->keep);
  EXPECT_EQ(by_blocks.find("model.layers.0.mlp.experts.0.up_proj")->scheme.bits, 4);
  EXPECT_EQ(by_blocks.rule_matches[0], 3u * (4 + 128 * 3));  // every block-0-2 linear but the 3 routers
  EXPECT_TRUE(by_blocks.warnings.empty());  // the rule selects other layers too: routers spared silently

  Plan by_name = plan_text(R"(arecipe: 1
rules:
  - {match: "*.mlp.gate", scheme: W8A16}
  - {match: "not:lm_head", scheme: W4A16}
  - {match: "re:.*", keep: false}
)",
                           qwen);
  EXPECT_TRUE(by_name.find("model.layers.5.mlp.gate")->keep);
  ASSERT_EQ(by_name.warnings.size(), 1u);  // rule 1 selects nothing but routers
  EXPECT_NE(by_name.warnings[0].message.find("selects only MoE routers (48)"), std::string::npos)
      << by_name.warnings[0].message;
  EXPECT_FALSE(by_name.find("lm_head")->keep);  // the same rules do reach lm_head
  EXPECT_FALSE(by_name.find("model.layers.5.mlp.experts.3.down_proj")->keep);

  Plan by_role = plan_text(R"(arecipe: 1
rules:
  - {match: {role: [attn_*, router], blocks: "0"}, scheme: W8A16}
  - {match: {role: router, blocks: "1"}, keep: false}
)",
                           qwen);
  const LayerPlan& r0 = *by_role.find("model.layers.0.mlp.gate");
  EXPECT_FALSE(r0.keep);
  EXPECT_EQ(r0.scheme.bits, 8);
  EXPECT_FALSE(by_role.find("model.layers.1.mlp.gate")->keep);
  EXPECT_TRUE(by_role.find("model.layers.2.mlp.gate")->keep);
}

TEST(Resolve, RuleMatchingNothingIsAWarningNamingIt) {
  Plan p = plan_text("arecipe: 1\nrules:\n  - name: experts\n    match: {role: expert_down}\n    scheme: W2A16\n");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0].message, "rule 1 'experts' (r.yaml:3:5) matches no layer of LlamaForCausalLM (29 layers)");
  EXPECT_EQ(p.warnings[0].loc.str(), "r.yaml:4:12");
}

TEST(Resolve, BlockIndexBeyondTheModelIsAnError) {
  EXPECT_EQ(error_of([] { plan_text("arecipe: 1\nrules:\n  - {match: {blocks: \"0-2,60\"}, keep: true}\n"); }),
            "r.yaml:3:13: error: rule 1 (r.yaml:3:5) names block 60, but LlamaForCausalLM has blocks 0-3\n"
            "      - {match: {blocks: \"0-2,60\"}, keep: true}\n"
            "                ^\n"
            "use \"last\" or \"last:N\" to name the final blocks of any model");
}

TEST(Explain, ListsFieldsAndRules) {
  const std::string recipe = "arecipe: 1\nrules:\n  - {name: v8, match: \"*.v_proj\", scheme: {bits: 8}}\n  - {match: lm_head, keep: true}\n";
  const dsl::Recipe r = dsl::load_recipe_text(recipe, "r.yaml");
  const Plan p = resolve(r, inventory_from_config(tiny_llama()));
  const std::string text = explain_layer(r, p, "model.layers.2.self_attn.v_proj");
  EXPECT_NE(text.find("  bits              8       rule 1 'v8' (r.yaml:3:50)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  matches  rule 1 'v8' (r.yaml:3:5)"), std::string::npos) << text;
  EXPECT_NE(text.find("  no       rule 2 (r.yaml:4:5)"), std::string::npos) << text;
  EXPECT_NE(error_of([&] { explain_layer(r, p, "model.layers.2.self_attn.v_prj"); })
                .find("did you mean 'model.layers.2.self_attn.v_proj'"),
            std::string::npos);
}

#include "autoscheme/recipe_diff.h"

TEST(Diff, ReportsChangedLayersWithBothOriginsAndSettings) {
  const dsl::Recipe a = dsl::load_recipe_text("arecipe: 1\ntuning: {iters: 200}\n", "a.yaml");
  const dsl::Recipe b = dsl::load_recipe_text(
      "arecipe: 1\ntuning: {iters: 50}\nrules:\n  - {match: \"*.down_proj\", scheme: {bits: 8}}\n", "b.yaml");
  const Inventory inv = inventory_from_config(tiny_llama());
  const Plan pa = resolve(a, inv), pb = resolve(b, inv);
  const std::string d = diff_plans({a, pa}, {b, pb});
  EXPECT_NE(d.find("model.layers.0.mlp.down_proj: int4 g128 sym -> int8 g128 sym\n"
                   "    A: default scheme (a.yaml:1:1)\n"
                   "    B: rule 1 (b.yaml:4:43)\n"),
            std::string::npos)
      << d;
  EXPECT_NE(d.find("tuning.iters: 200 -> 50\n"), std::string::npos) << d;
  EXPECT_EQ(diff_plans({a, pa}, {a, pa}), "");
}

TEST(Inventory, DeepSeekV3MlaAndMoeShapesFromConfig) {
  // Planning reads the config without rope settings (DeepSeek's yarn is not runnable yet).
  const Inventory inv = inventory_from_config(open_model_source("tests/configs/deepseek-v3").config);
  EXPECT_EQ(inv.num_blocks, 61);
  // 3 dense blocks x (5 attention + 3 MLP) + 58 MoE blocks x (5 + router + 768 experts + 3 shared) + lm_head.
  EXPECT_EQ(inv.layers.size(), 3u * 8 + 58u * (5 + 1 + 768 + 3) + 1);
  auto shape = [&](const std::string& name) {
    for (const auto& l : inv.layers)
      if (l.name == name) return std::make_pair(l.out_features, l.in_features);
    return std::make_pair(int64_t{-1}, int64_t{-1});
  };
  EXPECT_EQ(shape("model.layers.0.self_attn.q_a_proj"), std::make_pair(int64_t{1536}, int64_t{7168}));
  EXPECT_EQ(shape("model.layers.0.self_attn.q_b_proj"), std::make_pair(int64_t{128 * 192}, int64_t{1536}));
  EXPECT_EQ(shape("model.layers.0.self_attn.kv_b_proj"), std::make_pair(int64_t{128 * 256}, int64_t{512}));
  EXPECT_EQ(shape("model.layers.0.self_attn.o_proj"), std::make_pair(int64_t{7168}, int64_t{128 * 128}));
  EXPECT_EQ(shape("model.layers.2.mlp.down_proj"), std::make_pair(int64_t{7168}, int64_t{18432}));
  EXPECT_EQ(shape("model.layers.3.mlp.gate"), std::make_pair(int64_t{256}, int64_t{7168}));
  EXPECT_EQ(shape("model.layers.3.mlp.experts.255.down_proj"), std::make_pair(int64_t{7168}, int64_t{2048}));
  EXPECT_EQ(shape("model.layers.3.mlp.shared_experts.gate_proj"), std::make_pair(int64_t{2048}, int64_t{7168}));
  EXPECT_EQ(shape("model.layers.3.mlp.down_proj").first, -1);  // MoE blocks have no dense MLP
}
