#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "dsl/loader.h"
#include "engine/tune/calibration_inputs.h"
#include "engine/util/error.h"

namespace arecipe::tune {
namespace {

TEST(LossMask, MasksPadTokensAndTheLastPosition) {
  const at::Tensor ids = at::tensor({5, 0, 7, 0, 9, 9}, at::kLong).view({1, 6});
  const at::Tensor m = loss_mask_for(ids, int64_t{0});
  EXPECT_TRUE(at::equal(m, at::tensor({1.f, 0.f, 1.f, 0.f, 1.f, 0.f}).view({1, 6})));
}

TEST(LossMask, WithoutPadTokenTrailingRepeatsArePadding) {
  const at::Tensor ids = at::tensor({5, 9, 9, 9, 9, 3, 4, 4}, at::kLong).view({2, 4});
  const at::Tensor m = loss_mask_for(ids, std::nullopt);
  EXPECT_TRUE(at::equal(m, at::tensor({1.f, 0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f}).view({2, 4}))) << m;
}

TEST(CalibrationInputs, SamplesTheRecipesLocalFile) {
  const dsl::Recipe r = dsl::load_recipe_text(
      "arecipe: 1\ncalibration: [{file: 'examples/tiny-qwen3/calibration.txt:concat=true'}]\n", "r.yaml");
  const Tokenizer tok = Tokenizer::from_model_dir("examples/tiny-qwen3/model");
  const CalibrationInputs c = load_calibration(r.calibration, tok, 8, 64, 42);
  ASSERT_EQ(c.ids.sizes(), (std::vector<int64_t>{8, 64}));
  EXPECT_EQ(c.report.produced, 8u);
  EXPECT_EQ(c.loss_mask.select(1, 63).sum().item<float>(), 0.f);
  EXPECT_GT(c.loss_mask.sum().item<float>(), 8 * 60);
}

// Hub dataset ids are downloaded (tests/hub/test_calibration_dataset.sh); offline with an
// empty cache, the error names the recipe line and says what to do.
TEST(CalibrationInputs, UncachedHubDatasetOfflineIsAnErrorWithAHint) {
  const dsl::Recipe r = dsl::load_recipe_text("arecipe: 1\ncalibration: [NeelNanda/pile-10k]\n", "r.yaml");
  const Tokenizer tok = Tokenizer::from_model_dir("examples/tiny-qwen3/model");
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  ::setenv("HF_HUB_CACHE", "/nonexistent/arecipe-test-cache", 1);
  try {
    load_calibration(r.calibration, tok, 8, 64, 42);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("r.yaml:2:"), std::string::npos) << m;
    EXPECT_NE(m.find("NeelNanda/pile-10k@main: not in the cache"), std::string::npos) << m;
    EXPECT_NE(m.find("hint"), std::string::npos) << m;
  }
  ::unsetenv("HF_HUB_OFFLINE");
  ::unsetenv("HF_HUB_CACHE");
}

}  // namespace
}  // namespace arecipe::tune
