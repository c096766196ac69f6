// Import golden: for checkpoints made by the real auto-round package
// (gen_import_fixtures.py), `plan` of the imported recipe equals the per-layer
// configuration stored in the checkpoint's tensors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "autoscheme/import.h"
#include "autoscheme/resolve.h"
#include "dsl/loader.h"
#include "engine/util/files.h"
#include "tests/dsl/temp_dir.h"

using namespace arecipe;
using namespace arecipe::autoscheme;
using arecipe::testing::error_of;
using arecipe::testing::TempDir;

namespace {

void expect_import_reproduces(const std::string& format) {
  const std::string dir = "tests/autoscheme/fixtures/import/" + format;
  const std::string text = import_recipe(dir);
  SCOPED_TRACE(text);
  const dsl::Recipe recipe = dsl::load_recipe_text(text, dir + "/imported.yaml");
  EXPECT_EQ(recipe.model->value, dir);
  const Plan plan = resolve(recipe, inventory_from_config(load_model_config(dir)));
  EXPECT_TRUE(plan.warnings.empty());
  const auto expected = nlohmann::json::parse(read_text_file(dir + "/expected_layers.json"));
  ASSERT_EQ(plan.layers.size(), expected.size());
  for (const auto& l : plan.layers) {
    ASSERT_TRUE(expected.contains(l.layer.name)) << l.layer.name;
    const auto& e = expected[l.layer.name];
    if (e["bits"] == 16) {
      EXPECT_TRUE(l.keep) << l.layer.name;
    } else {
      EXPECT_FALSE(l.keep) << l.layer.name;
      EXPECT_EQ(l.scheme.bits, e["bits"].get<int>()) << l.layer.name;
      EXPECT_EQ(l.scheme.group_size, e["group_size"].get<int>()) << l.layer.name;
    }
  }
}

}  // namespace

TEST(Import, AutoRoundExtraConfigWithExactNamesAndRegexes) { expect_import_reproduces("auto_round"); }
TEST(Import, GptqDynamic) { expect_import_reproduces("auto_gptq"); }
TEST(Import, AwqModulesToNotConvert) { expect_import_reproduces("auto_awq"); }

TEST(Import, GptqDynamicFirstMatchWinsBecomesLastRuleWins) {
  TempDir d;
  d.write("config.json", R"({"architectures":["LlamaForCausalLM"],"hidden_size":64,"intermediate_size":128,
    "num_hidden_layers":2,"num_attention_heads":2,"vocab_size":256,
    "quantization_config":{"quant_method":"gptq","bits":4,"group_size":32,"sym":true,
      "dynamic":{"+:.*layers\\.0\\..*":{"bits":8},"+:.*":{"bits":2}}}})");
  const dsl::Recipe r = dsl::load_recipe_text(import_recipe(d.path()), d.path() + "/r.yaml");
  const Plan p = resolve(r, inventory_from_config(load_model_config(d.path())));
  EXPECT_EQ(p.find("model.layers.0.mlp.up_proj")->scheme.bits, 8);
  EXPECT_EQ(p.find("model.layers.1.mlp.up_proj")->scheme.bits, 2);
}

TEST(Import, UnquantizedOrUnknownCheckpointsAreErrors) {
  TempDir d;
  d.write("config.json", R"({"architectures":["LlamaForCausalLM"]})");
  EXPECT_EQ(error_of([&] { import_recipe(d.path()); }),
            d.path() + "/config.json: no quantization_config: not a quantized checkpoint");
  d.write("config.json", R"({"quantization_config":{"quant_method":"bitsandbytes"}})");
  EXPECT_NE(error_of([&] { import_recipe(d.path()); }).find("unsupported quant_method 'bitsandbytes'"), std::string::npos);
  d.write("config.json", R"({"quantization_config":{"quant_method":"gptq","bits":4,"dynamic":{"-:(?!x).*":{}}}})");
  EXPECT_NE(error_of([&] { import_recipe(d.path()); }).find("cannot be expressed in RE2"), std::string::npos);
}
