// Recipe loading: every error class with its exact message, extends, --set, output.
#include <gtest/gtest.h>

#include "dsl/loader.h"
#include "tests/dsl/temp_dir.h"

using namespace arecipe::dsl;
using arecipe::testing::error_of;
using arecipe::testing::TempDir;

namespace {
Recipe load(const std::string& text, const LoadOptions& o = {}) { return load_recipe_text(text, "r.yaml", o); }
std::string err(const std::string& text, const LoadOptions& o = {}) {
  return error_of([&] { load(text, o); });
}
}  // namespace

TEST(Loader, MinimalRecipeGetsUpstreamDefaults) {
  Recipe r = load("arecipe: 1\n");
  EXPECT_EQ(r.name.value, "r");  // the file name
  EXPECT_EQ(r.scheme.preset->value, "W4A16");
  EXPECT_EQ(r.output.value, "out/r");
  EXPECT_EQ(r.device.value, "auto");
  EXPECT_EQ(r.tie.mode, TieSpec::Mode::auto_);
}

TEST(Loader, FullRecipeIsTyped) {
  Recipe r = load(R"(arecipe: 1
name: demo
model: org/model
scheme: {preset: W2A16, group_size: 32}
rules:
  - name: heads
    match: lm_head
    scheme: {bits: 8, data_type: int}
  - match: {role: router}
    keep: true
target: {avg_bits: 2.5, options: [w2a16g64, W4A16], count_scale_bits: false}
tie: [["*.q_proj", "*.k_proj"]]
tuning: {preset: best, iters: 400, nsamples: 512, seqlen: 512, batch_size: 4, lr: 0.002}
calibration:
  - {dataset: NeelNanda/pile-10k, split: train}
  - {file: data/chat.jsonl, field: text, share: 0.25}
export: [auto_round, "gguf:q2_k_s"]
output: out/{name}-v1
device: cuda:0,1
eval: {datasets: [wikitext2], seqlen: 2048}
)");
  EXPECT_EQ(r.name.value, "demo");
  EXPECT_EQ(r.scheme.fields.group_size->value, 32);
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].display(), "rule 1 'heads' (r.yaml:6:5)");
  EXPECT_EQ(r.rules[0].scheme->fields.bits->loc.str(), "r.yaml:8:20");
  EXPECT_TRUE(r.rules[1].keep->value);
  EXPECT_EQ(r.target->options[0].value, "W2A16G64");
  EXPECT_FALSE(r.target->count_scale_bits.value);
  EXPECT_EQ(r.tie.groups.size(), 1u);
  EXPECT_EQ(r.tuning.iters->value, 400);
  EXPECT_EQ(r.calibration.size(), 2u);
  EXPECT_EQ(r.exports[1].value, "gguf:q2_k_s");
  EXPECT_EQ(r.output.value, "out/demo-v1");
  EXPECT_EQ(r.eval->datasets[0].value, "wikitext2");
}

TEST(Loader, UnknownKeyWithHint) {
  EXPECT_EQ(err("arecipe: 1\ntunning: {iters: 2}\n"),
            "r.yaml:2:1: error: unknown key 'tunning' in the recipe\n"
            "    tunning: {iters: 2}\n"
            "    ^\n"
            "did you mean 'tuning'?");
  EXPECT_EQ(err("arecipe: 1\ntuning: {iter: 2}\n"),
            "r.yaml:2:10: error: unknown key 'iter' in tuning\n"
            "    tuning: {iter: 2}\n"
            "             ^\n"
            "did you mean 'iters'?");
}

TEST(Loader, WrongTypes) {
  EXPECT_EQ(err("arecipe: 1\ntuning: {iters: many}\n"),
            "r.yaml:2:17: error: iters: expected an integer, got 'many'\n"
            "    tuning: {iters: many}\n"
            "                    ^");
  EXPECT_NE(err("arecipe: 1\ntuning: {iters: \"200\"}\n").find("expected an integer, got the quoted string \"200\""),
            std::string::npos);
  EXPECT_NE(err("arecipe: 1\nrules: {match: x}\n").find("rules must be a list, not a mapping"), std::string::npos);
  EXPECT_NE(err("arecipe: 1\nscheme: {sym: maybe}\n").find("sym: expected true or false, got 'maybe'"), std::string::npos);
}

TEST(Loader, ImpossibleValues) {
  EXPECT_EQ(err("arecipe: 1\nscheme: {bits: 9}\n"),
            "r.yaml:2:16: error: bits must be 2 to 8, or 16 (unquantized), got 9\n"
            "    scheme: {bits: 9}\n"
            "                   ^");
  EXPECT_NE(err("arecipe: 1\ntuning: {iters: -1}\n").find("iters must be between 0 and 100000, got -1"),
            std::string::npos);
  EXPECT_NE(err("arecipe: 1\ncalibration: [{dataset: a, share: 0.7}, {file: b, share: 0.6}]\n")
                .find("calibration shares add up to more than 1"),
            std::string::npos);
  EXPECT_NE(err("arecipe: 1\ndevice: gpu\n").find("device: expected auto, cpu, cuda"), std::string::npos);
  EXPECT_NE(err("arecipe: 1\nscheme: {data_type: mx_fp4, bits: 8}\n").find("data_type 'mx_fp4' means bits 4"),
            std::string::npos);
}

TEST(Loader, UnknownPresetAndFormatSuggest) {
  EXPECT_EQ(err("arecipe: 1\nscheme: W4A61\n"),
            "r.yaml:2:9: error: unknown scheme preset 'W4A61'\n"
            "    scheme: W4A61\n"
            "            ^\n"
            "did you mean 'W4A16'?");
  EXPECT_NE(err("arecipe: 1\nexport: [autoround]\n").find("did you mean 'auto_round'?"), std::string::npos);
  EXPECT_NE(err("arecipe: 1\nexport: [\"gguf:q4_k_m\", \"gguf:q2_k_s\"]\n").find("only one gguf: format"),
            std::string::npos);
}

TEST(Loader, VersionKeyIsRequired) {
  EXPECT_EQ(err("name: x\n"),
            "r.yaml:1:1: error: missing `arecipe: 1` (the recipe language version)\n"
            "    name: x\n"
            "    ^\n"
            "add `arecipe: 1` as the first line of r.yaml");
  EXPECT_NE(err("arecipe: 2\n").find("unsupported recipe language version 2"), std::string::npos);
}

TEST(Loader, RuleMistakes) {
  EXPECT_NE(err("arecipe: 1\nrules:\n  - match: x\n").find("rule 1 sets nothing"), std::string::npos);
  EXPECT_NE(err("arecipe: 1\nrules:\n  - scheme: W4A16\n").find("rule 1 has no match:"), std::string::npos);
  EXPECT_EQ(err("arecipe: 1\nrules:\n  - match: x\n    bits: 8\n"),
            "r.yaml:4:5: error: unknown key 'bits' in rule 1\n"
            "        bits: 8\n"
            "        ^\n"
            "scheme fields go under scheme:, e.g. scheme: {bits: 8}");
  EXPECT_NE(err("arecipe: 1\nrules:\n  - {match: x, keep: true, scheme: W4A16}\n").find("says keep: true and also gives a scheme"),
            std::string::npos);
}

TEST(Loader, OutputMayNotEscapeItsRoot) {
  EXPECT_EQ(err("arecipe: 1\noutput: out/../../etc\n"),
            "r.yaml:2:9: error: output 'out/../../etc' escapes the output root with '..'\n"
            "    output: out/../../etc\n"
            "            ^\n"
            "recipes write below the directory arecipe runs in; pass --allow-output-anywhere to write elsewhere");
  EXPECT_NE(err("arecipe: 1\noutput: /tmp/x\n").find("is an absolute path"), std::string::npos);
  EXPECT_NE(err("arecipe: 1\noutput: out/{model}\n").find("unknown placeholder '{model}'"), std::string::npos);
  EXPECT_EQ(load("arecipe: 1\noutput: out/a/../b/./c\n").output.value, "out/b/c");
  LoadOptions anywhere;
  anywhere.allow_output_anywhere = true;
  EXPECT_EQ(load("arecipe: 1\noutput: /tmp/x\n", anywhere).output.value, "/tmp/x");
}

TEST(Loader, SetOverridesAnyValueAndIsValidatedLikeTheFile) {
  LoadOptions o;
  o.overrides = {"tuning.iters=50", "scheme={preset: W2A16, group_size: 64}", "rules.0.keep=false"};
  Recipe r = load("arecipe: 1\ntuning: {iters: 200, seqlen: 512}\nrules:\n  - {match: lm_head, keep: true}\n", o);
  EXPECT_EQ(r.tuning.iters->value, 50);
  EXPECT_EQ(r.tuning.seqlen->value, 512);
  EXPECT_EQ(r.scheme.fields.group_size->value, 64);
  EXPECT_FALSE(r.rules[0].keep->value);
  EXPECT_EQ(r.tuning.iters->loc.str(), "--set:1:14");
  LoadOptions bad;
  bad.overrides = {"tuning.iters=lots"};
  EXPECT_EQ(err("arecipe: 1\n", bad),
            "--set:1:14: error: iters: expected an integer, got 'lots'\n"
            "    tuning.iters=lots\n"
            "                 ^");
  bad.overrides = {"tunin.iters=5"};
  EXPECT_NE(err("arecipe: 1\n", bad).find("did you mean 'tuning'?"), std::string::npos);
  bad.overrides = {"noequals"};
  EXPECT_NE(err("arecipe: 1\n", bad).find("--set expects path=value"), std::string::npos);
}

TEST(Extends, ChildAppendsRulesAndOverridesFields) {
  TempDir d;
  d.write("base.yaml",
          "arecipe: 1\nname: base\nscheme: W2A16G64\ntuning: {iters: 400, seqlen: 512}\nrules:\n  - {match: lm_head, keep: true}\n");
  const std::string child = d.write("child.yaml",
                                    "arecipe: 1\nextends: base.yaml\ntuning: {iters: 50}\nrules:\n  - {match: x, scheme: W4A16}\n");
  Recipe r = load_recipe(child);
  EXPECT_EQ(r.name.value, "child");  // names are not inherited
  EXPECT_EQ(r.scheme.preset->value, "W2A16G64");
  EXPECT_EQ(r.tuning.iters->value, 50);
  EXPECT_EQ(r.tuning.seqlen->value, 512);
  ASSERT_EQ(r.rules.size(), 2u);
  EXPECT_EQ(r.rules[0].loc.path(), d.path() + "/base.yaml");
  EXPECT_EQ(r.rules[1].index, 2);
  EXPECT_EQ(r.sources.size(), 2u);
}

TEST(Extends, CyclesAreDetected) {
  TempDir d;
  d.write("a.yaml", "arecipe: 1\nextends: b.yaml\n");
  d.write("b.yaml", "arecipe: 1\nextends: a.yaml\n");
  const std::string e = error_of([&] { load_recipe(d.path() + "/a.yaml"); });
  EXPECT_NE(e.find("b.yaml:2:10: error: extends cycle: "), std::string::npos) << e;
  EXPECT_NE(e.find("a.yaml -> "), std::string::npos) << e;
  d.write("self.yaml", "arecipe: 1\nextends: self.yaml\n");
  EXPECT_NE(error_of([&] { load_recipe(d.path() + "/self.yaml"); }).find("extends cycle"), std::string::npos);
}

TEST(Extends, PublishedRecipeByName) {
  TempDir d;
  d.write("lib/w4-base.yaml", "arecipe: 1\nscheme: W4A16\n");
  const std::string child = d.write("c.yaml", "arecipe: 1\nextends: w4-base\n");
  LoadOptions o;
  o.search_path = {d.path() + "/lib"};
  EXPECT_EQ(load_recipe(child, o).sources.size(), 2u);
  d.write("c2.yaml", "arecipe: 1\nextends: w4-bse\n");
  EXPECT_NE(error_of([&] { load_recipe(d.path() + "/c2.yaml", o); }).find("did you mean 'w4-base'?"), std::string::npos);
}
