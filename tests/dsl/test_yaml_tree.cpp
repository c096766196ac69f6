// YAML layer: locations, duplicate keys, aliases, limits, malformed input.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "dsl/loader.h"
#include "dsl/yaml_tree.h"
#include "tests/dsl/temp_dir.h"

using namespace arecipe;
using namespace arecipe::dsl;
using arecipe::testing::error_of;
using arecipe::testing::TempDir;

namespace {
YNode parse(const std::string& text, const std::string& path = "r.yaml") {
  auto f = std::make_shared<SourceFile>();
  f->path = path;
  f->text = text;
  return parse_yaml(f);
}
}  // namespace

TEST(YamlTree, EveryNodeKnowsItsLineAndColumn) {
  YNode root = parse("arecipe: 1\nrules:\n  - match: lm_head\n    keep: true\n");
  const YNode* rules = root.find("rules");
  ASSERT_NE(rules, nullptr);
  const YNode& rule = rules->items.at(0);
  EXPECT_EQ(rule.find("match")->loc.str(), "r.yaml:3:12");
  EXPECT_EQ(rule.find("keep")->loc.str(), "r.yaml:4:11");
  EXPECT_TRUE(rule.find("match")->plain);
  EXPECT_FALSE(parse("a: \"4\"").find("a")->plain);
}

TEST(YamlTree, DuplicateKeysAreErrors) {
  EXPECT_EQ(error_of([] { parse("arecipe: 1\nname: a\nname: b\n"); }),
            "r.yaml:3:1: error: duplicate key 'name'\n"
            "    name: b\n"
            "    ^\n"
            "first defined at line 2; a key may appear once per mapping");
}

TEST(YamlTree, MalformedYamlPointsAtTheProblem) {
  const std::string e = error_of([] { parse("arecipe: 1\nrules: [a, b\n"); });
  EXPECT_EQ(e.rfind("r.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find(": error: malformed YAML: "), std::string::npos) << e;
}

TEST(YamlTree, AnchorsAndAliasesAreRejected) {
  EXPECT_EQ(error_of([] { parse("a: &x [1, 2]\nb: *x\n"); }).substr(0, 60),
            "r.yaml:1:4: error: anchors (&name) are not supported in reci");
  // A "billion laughs" document never expands.
  EXPECT_NE(error_of([] { parse("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"); }).find("anchors"), std::string::npos);
}

TEST(YamlTree, NestingDepthIsBounded) {
  std::string deep(5000, '[');
  EXPECT_NE(error_of([&] { parse("a: " + deep); }).find("error:"), std::string::npos);
  EXPECT_NE(error_of([] { parse("a: " + std::string(100, '[') + std::string(100, ']')); }).find("nested deeper than 64"),
            std::string::npos);
}

TEST(YamlTree, SecondDocumentIsAnError) {
  EXPECT_NE(error_of([] { parse("arecipe: 1\n---\narecipe: 1\n"); }).find("a recipe is a single YAML document"),
            std::string::npos);
}

TEST(YamlTree, HundredMegabyteRecipeIsRejectedBeforeReading) {
  TempDir dir;
  const std::string path = dir.path() + "/huge.yaml";
  {
    std::ofstream f(path, std::ios::binary);
    const std::string line = "# padding padding padding padding padding padding padding padding padding\n";
    for (size_t written = 0; written < (100u << 20); written += line.size()) f << line;
  }
  const auto start = std::chrono::steady_clock::now();
  const std::string e = error_of([&] { load_recipe(path); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(e.find("the limit is 1048576 (a recipe is a short text file)"), std::string::npos) << e;
  EXPECT_LT(seconds, 0.5);  // stat() only: nothing is read or parsed
}
