// Plan-time checks: every constraint that would fail late fails here, with the line.
#include <gtest/gtest.h>

#include "tests/autoscheme/plan_helpers.h"
#include "tests/dsl/temp_dir.h"

using namespace arecipe;
using namespace arecipe::autoscheme;
using arecipe::testing::error_of;
using arecipe::testing::plan_text;
using arecipe::testing::tiny_llama;

TEST(Checks, FormatThatCannotHoldTheScheme) {
  EXPECT_EQ(error_of([] { plan_text("arecipe: 1\nscheme: {bits: 5}\nexport: [auto_round]\n"); }),
            "r.yaml:2:16: error: export auto_round cannot hold model.layers.0.self_attn.q_proj: auto_round packs 2, 3, "
            "4 or 8-bit integers (GPTQ layout), not bits 5\n"
            "    scheme: {bits: 5}\n"
            "                   ^\n"
            "bits set by default scheme (r.yaml:2:16); auto_round is listed at r.yaml:3:10");
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nscheme: W5A16\nexport: [auto_gptq]\n"); })
                .find("auto_gptq packs 2, 3, 4 or 8-bit integers, not bits 5"),
            std::string::npos);
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nscheme: W4A16\nexport: [\"gguf:q4_k_m\"]\n"); })
                .find("gguf:q4_k_m stores only GGUF types"),
            std::string::npos);
  EXPECT_NO_THROW(plan_text("arecipe: 1\nscheme: {bits: 5}\nexport: [fake]\n"));
}

TEST(Checks, ImpossibleSchemeCombination) {
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nscheme: MXFP4\nrules:\n  - {match: \"*\", scheme: {bits: 3}}\n"); })
                .find("r.yaml:4:33: error: impossible scheme for model.layers.0.self_attn.q_proj: mx_fp exists with 4, 6 or 8 bits, not 3"),
            std::string::npos);
}

TEST(Checks, GroupSizeMustFitWherePaddingIsNotAllowed) {
  // in_features 96: int auto_round pads the last group of 64 ...
  EXPECT_NO_THROW(plan_text("arecipe: 1\nscheme: W2A16G64\nexport: [auto_round]\n", tiny_llama(96, 128, 1)));
  // ... AWQ cannot.
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nscheme: {bits: 4, group_size: 64}\nexport: [auto_awq]\n", tiny_llama(96, 128, 1)); })
                .find("auto_awq cannot pad groups: in_features 96 is not a multiple of group_size 64"),
            std::string::npos);
  // GGUF k-quants need 256-element blocks.
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nscheme: GGUF:Q4_K_S\nexport: [\"gguf:q4_k_s\"]\n", tiny_llama(96, 128, 1)); })
                .find("GGUF q4_k needs in_features divisible by 256, got 96"),
            std::string::npos);
}

TEST(Checks, AwqHoldsOneScheme) {
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nscheme: {bits: 4, sym: false}\nrules:\n  - {match: \"*.down_proj\", scheme: {group_size: 64}}\nexport: [auto_awq]\ntie: none\n"); })
                .find("export auto_awq holds one scheme for all quantized layers"),
            std::string::npos);
}

TEST(Checks, TieGroupsShareAScheme) {
  const std::string recipe = "arecipe: 1\nrules:\n  - {match: \"*.v_proj\", scheme: W8A16}\n";
  EXPECT_EQ(error_of([&] { plan_text(recipe + "export: [auto_round]\n"); }),
            "r.yaml:3:33: error: tie group broken: model.layers.0.self_attn.v_proj is int8 g128 sym but "
            "model.layers.0.self_attn.q_proj is int4 g128 sym (the export format fuses these projections into one kernel)\n"
            "      - {match: \"*.v_proj\", scheme: W8A16}\n"
            "                                    ^\n"
            "bits set by rule 1 (r.yaml:3:33); bits set by default scheme (r.yaml:1:1); give the whole group one scheme, "
            "or set tie: none");
  // GGUF stores q/k/v separately; `tie: none` opts out.
  EXPECT_NO_THROW(plan_text(recipe));
  EXPECT_NO_THROW(plan_text(recipe + "export: [auto_round]\ntie: none\n"));
  // Explicit groups apply per block.
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\nrules:\n  - {match: \"*.down_proj\", scheme: W8A16}\ntie: [[\"*.up_proj\", \"*.down_proj\"]]\n"); })
                .find("the recipe's tie: groups require one scheme per group"),
            std::string::npos);
}

TEST(Checks, TargetMustBeReachable) {
  Plan p = plan_text("arecipe: 1\nrules:\n  - {match: \"*.o_proj\", scheme: W8A16}\ntarget: {avg_bits: 4.5, options: [W2A16, W4A16]}\n");
  EXPECT_GT(p.target_min_bits, 2.0);
  EXPECT_LT(p.target_max_bits, 6.0);
  EXPECT_NE(error_of([] { plan_text("arecipe: 1\ntarget: {avg_bits: 7, options: [W2A16, W4A16]}\n"); })
                .find("avg_bits 7.0000 is out of reach"),
            std::string::npos);
}

TEST(Checks, IntLayersNotMultiplesOf32StayIn16BitsAsUpstream) {
  // hidden 64, intermediate 172 (stories260K's shape): every MLP linear is 172 wide.
  const ModelConfig c = tiny_llama(64, 172, 4);
  const Plan p = plan_text("arecipe: 1\nscheme: {preset: W4A16, group_size: 32}\nexport: [auto_round]\n", c);
  size_t kept = 0;
  for (const auto& l : p.layers) {
    if (l.layer.block < 0) continue;  // lm_head: kept by default anyway
    const bool narrow = l.layer.in_features % 32 != 0 || l.layer.out_features % 32 != 0;
    EXPECT_EQ(l.keep, narrow) << l.layer.name;
    kept += l.keep;
  }
  EXPECT_EQ(kept, 12u);  // gate/up/down of 4 blocks
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].message.find("12 int layer(s) kept in 16 bits"), std::string::npos) << p.warnings[0].message;
  // A rule that asks for such a layer explicitly still gets the error.
  EXPECT_NE(error_of([&] {
              plan_text("arecipe: 1\nscheme: W4A16\nrules:\n  - {match: {role: mlp_down}, scheme: {bits: 4, group_size: 32}}\n"
                        "export: [auto_round]\n",
                        c);
            }).find("needs in_features and out_features divisible by 32"),
            std::string::npos);
}
