// Logits of our runtime vs HF transformers (fixtures: tests/golden/gen_arch_fixtures.py).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/io/safetensors.h"
#include "engine/model/model.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"

using namespace arecipe;

namespace {

struct Expected {
  at::Tensor ids, logits;
};

Expected read_expected(const std::string& path) {
  SafetensorsFile f(path);
  return {to_tensor(f.view(*f.find("input_ids")), at::kLong), to_tensor(f.view(*f.find("logits")))};
}

void expect_logits_match(const std::string& model_dir, const std::string& expected_path) {
  Model model = Model::open(model_dir);
  Expected e = read_expected(expected_path);
  at::Tensor got = model.logits(e.ids);
  ASSERT_EQ(got.sizes(), e.logits.sizes());
  const double max_diff = (got - e.logits).abs().max().item<double>();
  EXPECT_LT(max_diff, 1e-4) << model_dir;
  // Guard against a vacuous pass: the logits must carry signal.
  EXPECT_GT(e.logits.std().item<double>(), 1e-2);
}

class ArchGolden : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(ArchGolden, LogitsMatchTransformers) {
  const std::string dir = "tests/golden/fixtures/arch/" + GetParam();
  expect_logits_match(dir, dir + "/expected.safetensors");
}

INSTANTIATE_TEST_SUITE_P(Architectures, ArchGolden,
                         ::testing::Values("llama-rope-llama3", "llama-rope-linear", "qwen2", "qwen3",
                                           "mistral"));

TEST(Stories260K, LogitsMatchTransformers) {
  expect_logits_match("../shared/fixtures/models/stories260K/hf",
                      "tests/golden/fixtures/stories260K/expected.safetensors");
}

TEST(Stories260K, Bf16CheckpointLoads) {
  Model model = Model::open("../shared/fixtures/models/stories260K/hf-bf16");
  Expected e = read_expected("tests/golden/fixtures/stories260K/expected.safetensors");
  // BF16 weights: same model rounded, so logits agree loosely, not to 1e-4.
  const double max_diff = (model.logits(e.ids) - e.logits).abs().max().item<double>();
  EXPECT_LT(max_diff, 0.5);
}

TEST(Model, DetectsWeightShapeMismatch) {
  // A perturbed config implies other shapes than the tensors have.
  try {
    Model::open("tests/engine/data/shape-mismatch");
    FAIL() << "opened a model whose tensors disagree with its config";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json implies"), std::string::npos) << e.what();
  }
}
