// tuning: presets and fields → the settings the tuner runs with (upstream's recipes).
#include <gtest/gtest.h>

#include "autoscheme/tuning_settings.h"
#include "dsl/loader.h"
#include "engine/util/error.h"

namespace arecipe::autoscheme {
namespace {

TuningSettings settings(const std::string& tuning) {
  return resolve_tuning(dsl::load_recipe_text("arecipe: 1\ntuning: " + tuning + "\n", "r.yaml"));
}

TEST(TuningSettings, DefaultPresetIsAutoRoundDefaults) {
  const TuningSettings s = resolve_tuning(dsl::load_recipe_text("arecipe: 1\n", "r.yaml"));
  EXPECT_EQ(s.mode, TuningMode::SignRound);
  EXPECT_EQ(s.iters, 200);
  EXPECT_EQ(s.nsamples, 128);
  EXPECT_EQ(s.seqlen, 2048);
  EXPECT_EQ(s.batch_size, 8);
  EXPECT_EQ(s.seed, 42u);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(4), 1.0 / 200);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(2), 1.0 / 200);  // doubled only from 1000 iters
  EXPECT_DOUBLE_EQ(s.minmax_lr_for_bits(4), 1.0 / 200);
  EXPECT_TRUE(s.enable_minmax_tuning);
  EXPECT_TRUE(s.enable_quanted_input);
  EXPECT_TRUE(s.warnings.empty());
}

TEST(TuningSettings, AnExplicitGpuIsRefusedWithItsLocation) {
  // The executor runs on the CPU only; `auto` and `cpu` are fine, `cuda` is not silent.
  EXPECT_NO_THROW(resolve_tuning(dsl::load_recipe_text("arecipe: 1\ndevice: auto\n", "r.yaml")));
  EXPECT_NO_THROW(resolve_tuning(dsl::load_recipe_text("arecipe: 1\ndevice: cpu\n", "r.yaml")));
  try {
    resolve_tuning(dsl::load_recipe_text("arecipe: 1\ndevice: cuda:0\n", "r.yaml"));
    FAIL() << "device: cuda accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("r.yaml:2:9"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("GPU tuning is not implemented"), std::string::npos) << e.what();
  }
  const TuningSettings s = settings("{low_gpu_mem_usage: true}");
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("low_gpu_mem_usage has no effect"), std::string::npos);
}

TEST(TuningSettings, ExpertsChoosesHowMoeBlocksAreTuned) {
  EXPECT_EQ(resolve_tuning(dsl::load_recipe_text("arecipe: 1\n", "r.yaml")).experts, ExpertTuning::Auto);
  EXPECT_EQ(settings("{experts: joint}").experts, ExpertTuning::Joint);
  EXPECT_EQ(settings("{experts: streamed}").experts, ExpertTuning::Streamed);
  EXPECT_EQ(settings("{experts: auto}").experts, ExpertTuning::Auto);
  try {
    settings("{experts: stream}");
    FAIL() << "experts: stream accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("r.yaml:2:19"), std::string::npos) << m;
    EXPECT_NE(m.find("expected auto, joint or streamed"), std::string::npos) << m;
    EXPECT_NE(m.find("streamed"), std::string::npos) << m;
  }
}

TEST(TuningSettings, BestDoublesLowBitLearningRate) {
  const TuningSettings s = settings("{preset: best}");
  EXPECT_EQ(s.iters, 1000);
  EXPECT_EQ(s.nsamples, 512);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(2), 2.0 / 1000);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(3), 2.0 / 1000);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(4), 1.0 / 1000);
}

TEST(TuningSettings, LightHasFixedLearningRate) {
  const TuningSettings s = settings("{preset: light}");
  EXPECT_EQ(s.iters, 50);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(2), 5e-3);
  EXPECT_DOUBLE_EQ(s.minmax_lr_for_bits(2), 5e-3);
}

TEST(TuningSettings, RecipeFieldsOverridePreset) {
  const TuningSettings s = settings("{preset: best, iters: 300, lr: 0.01, minmax_lr: 0.02, batch_size: 4}");
  EXPECT_EQ(s.iters, 300);
  EXPECT_EQ(s.nsamples, 512);
  EXPECT_DOUBLE_EQ(s.lr_for_bits(2), 0.01);
  EXPECT_DOUBLE_EQ(s.minmax_lr_for_bits(2), 0.02);
  EXPECT_EQ(s.global_batch(), 4);
}

TEST(TuningSettings, ItersZeroIsOptRtnUnlessRtnPreset) {
  EXPECT_EQ(settings("{iters: 0}").mode, TuningMode::OptRtn);
  EXPECT_EQ(settings("{preset: opt_rtn}").mode, TuningMode::OptRtn);
  EXPECT_EQ(settings("{preset: opt-rtn}").mode, TuningMode::OptRtn);
  EXPECT_EQ(settings("{preset: rtn}").mode, TuningMode::Rtn);
}

TEST(TuningSettings, ItersZeroWithTuningOptionsWarns) {
  const TuningSettings s = settings("{preset: rtn, lr: 0.01, enable_minmax_tuning: false, seqlen: 512}");
  ASSERT_EQ(s.warnings.size(), 3u);
  EXPECT_NE(s.warnings[0].find("tuning.lr has no effect with iters 0"), std::string::npos);
  EXPECT_NE(s.warnings[1].find("enable_minmax_tuning"), std::string::npos);
  EXPECT_NE(s.warnings[2].find("seqlen"), std::string::npos);
  // opt-RTN still samples calibration data, so seqlen matters there.
  EXPECT_TRUE(settings("{preset: opt_rtn, seqlen: 512}").warnings.empty());
}

TEST(TuningSettings, GlobalBatchClampsToSamples) {
  EXPECT_EQ(settings("{nsamples: 4, batch_size: 8}").global_batch(), 4);
  EXPECT_EQ(settings("{nsamples: 64, batch_size: 8, gradient_accumulate_steps: 2}").global_batch(), 16);
}

TEST(TuningSettings, AlgExtIsRefusedWithItsLocation) {
  try {
    settings("{enable_alg_ext: true}");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("r.yaml:2:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("SignRoundV2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace arecipe::autoscheme
