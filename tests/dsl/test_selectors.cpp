// Selector semantics as docs/recipes.md pins them.
#include <gtest/gtest.h>

#include "dsl/selector.h"
#include "dsl/yaml_tree.h"
#include "tests/dsl/temp_dir.h"

using namespace arecipe::dsl;
using arecipe::testing::error_of;

namespace {

Selector sel(const std::string& yaml_value) {
  auto f = std::make_shared<SourceFile>();
  f->path = "r.yaml";
  f->text = "match: " + yaml_value + "\n";
  YNode root = parse_yaml(f);
  return Selector::parse(*root.find("match"));
}

bool hit(const Selector& s, const std::string& name, const char* role = "attn_q", int block = 0, int num_blocks = 8) {
  return s.matches(LayerRef{name, role, block}, num_blocks);
}

}  // namespace

TEST(Selector, PlainNameIsExactFullMatch) {
  Selector s = sel("model.layers.1.self_attn.q_proj");
  EXPECT_TRUE(hit(s, "model.layers.1.self_attn.q_proj"));
  EXPECT_FALSE(hit(s, "model.layers.11.self_attn.q_proj"));  // no substring matching
  EXPECT_FALSE(hit(s, "model.layers.1.self_attn.q_proj.x"));
}

TEST(Selector, GlobIsFullMatchAndStarCrossesDots) {
  Selector s = sel("\"*.down_proj\"");
  EXPECT_TRUE(hit(s, "model.layers.3.mlp.experts.7.down_proj"));
  EXPECT_FALSE(hit(s, "model.layers.3.mlp.down_proj_extra"));
  Selector q = sel("model.layers.?.mlp.up_proj");
  EXPECT_TRUE(hit(q, "model.layers.5.mlp.up_proj"));
  EXPECT_FALSE(hit(q, "model.layers.15.mlp.up_proj"));
}

TEST(Selector, RegexIsRe2FullMatch) {
  Selector s = sel("'re:model\\.layers\\.[0-2]\\..*'");
  EXPECT_TRUE(hit(s, "model.layers.2.mlp.gate_proj"));
  EXPECT_FALSE(hit(s, "model.layers.12.mlp.gate_proj"));  // anchored at the start
  Selector partial = sel("'re:mlp'");
  EXPECT_FALSE(hit(partial, "model.layers.0.mlp.up_proj"));  // anchored at both ends
}

TEST(Selector, BadRegexIsAnErrorWithRe2sReason) {
  EXPECT_EQ(error_of([] { sel("'re:model.(layers'"); }),
            "r.yaml:1:8: error: invalid regular expression 'model.(layers': missing ): model.(layers\n"
            "    match: 're:model.(layers'\n"
            "           ^\n"
            "patterns use RE2 syntax (no backreferences or lookaround) and must match the whole layer name");
  // Lookahead (valid in Python's re) is not RE2.
  EXPECT_NE(error_of([] { sel("'re:^(?!.*experts).*'"); }).find("invalid regular expression"), std::string::npos);
}

TEST(Selector, MappingAndsItsKeys) {
  Selector s = sel("{role: mlp_down, blocks: \"0-2\"}");
  EXPECT_TRUE(hit(s, "x", "mlp_down", 2));
  EXPECT_FALSE(hit(s, "x", "mlp_down", 3));
  EXPECT_FALSE(hit(s, "x", "mlp_up", 1));
}

TEST(Selector, ListOrsItsEntries) {
  Selector s = sel("[lm_head, \"*.o_proj\"]");
  EXPECT_TRUE(hit(s, "lm_head"));
  EXPECT_TRUE(hit(s, "model.layers.0.self_attn.o_proj"));
  EXPECT_FALSE(hit(s, "model.layers.0.self_attn.q_proj"));
}

TEST(Selector, RoleListWithGlobs) {
  Selector s = sel("{role: [attn_*, shared_*]}");
  EXPECT_TRUE(hit(s, "x", "attn_v"));
  EXPECT_TRUE(hit(s, "x", "shared_down"));
  EXPECT_FALSE(hit(s, "x", "expert_down"));
}

TEST(Selector, UnknownRoleSuggestsTheClosest) {
  EXPECT_EQ(error_of([] { sel("{role: atn_q}"); }),
            "r.yaml:1:15: error: unknown role 'atn_q'\n"
            "    match: {role: atn_q}\n"
            "                  ^\n"
            "did you mean 'attn_q'?");
  EXPECT_NE(error_of([] { sel("{role: \"moe_*\"}"); }).find("role pattern 'moe_*' matches no role"), std::string::npos);
}

TEST(Selector, NotExcludes) {
  Selector s = sel("{role: [expert_*, mlp_*], not: {blocks: last}}");
  EXPECT_TRUE(hit(s, "x", "expert_up", 6));
  EXPECT_FALSE(hit(s, "x", "expert_up", 7));
  Selector prefix = sel("'not:re:.*experts.*'");
  EXPECT_TRUE(hit(prefix, "model.layers.0.self_attn.o_proj"));
  EXPECT_FALSE(hit(prefix, "model.layers.3.mlp.experts.0.up_proj"));
}

TEST(Selector, BlockSets) {
  Selector s = sel("{blocks: \"0-2,6\"}");
  EXPECT_TRUE(hit(s, "x", "attn_q", 1));
  EXPECT_TRUE(hit(s, "x", "attn_q", 6));
  EXPECT_FALSE(hit(s, "x", "attn_q", 5));
  EXPECT_FALSE(hit(s, "lm_head", "lm_head", -1));  // outside blocks never matches a block set
  Selector first = sel("{blocks: \"first:3\"}");
  EXPECT_TRUE(hit(first, "x", "attn_q", 2));
  EXPECT_FALSE(hit(first, "x", "attn_q", 3));
  Selector last = sel("{blocks: \"last:2\"}");
  EXPECT_TRUE(hit(last, "x", "attn_q", 6, 8));
  EXPECT_FALSE(hit(last, "x", "attn_q", 5, 8));
  EXPECT_EQ(s.max_absolute_block(), 6);
}

TEST(Selector, BadBlockSetsAreErrors) {
  EXPECT_NE(error_of([] { sel("{blocks: \"3-1\"}"); }).find("empty block range '3-1': 3 > 1"), std::string::npos);
  EXPECT_NE(error_of([] { sel("{blocks: \"first:0\"}"); }).find("bad block count in 'first:0'"), std::string::npos);
  EXPECT_NE(error_of([] { sel("{blocks: \"x\"}"); }).find("bad block set item 'x'"), std::string::npos);
}

TEST(Selector, UnknownSelectorKeySuggests) {
  EXPECT_NE(error_of([] { sel("{roles: attn_q}"); }).find("unknown selector key 'roles'\n"), std::string::npos);
  EXPECT_NE(error_of([] { sel("{roles: attn_q}"); }).find("did you mean 'role'?"), std::string::npos);
  EXPECT_NE(error_of([] { sel("{}"); }).find("empty selector mapping"), std::string::npos);
}
