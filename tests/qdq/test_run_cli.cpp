// `arecipe run` end to end: a recipe on stories260K, RTN, two export formats; the
// result must equal auto-round's own export of the same scheme (gen_export_golden.py).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "tests/support/run_command.h"
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/files.h"

using namespace arecipe;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kBinary = std::string(ARECIPE_BINARY_DIR) + "/arecipe";
const std::string kModel = std::string(ARECIPE_SOURCE_DIR) + "/../shared/fixtures/models/stories260K/hf";
const std::string kGolden = std::string(ARECIPE_SOURCE_DIR) + "/tests/qdq/golden/export/";

const char* kRecipe = R"(arecipe: 1
name: stories-w4g32
description: stories260K RTN W4G32 sym, one 8-bit layer (as gen_export_golden.py)
scheme: {preset: W4A16, group_size: 32}
rules:
  - name: k_proj of block 1 at 8 bits
    match: {name: model.layers.1.self_attn.k_proj}
    scheme: {bits: 8}
  - name: 172-wide MLP stays FP (upstream skips it too)
    match: {role: [mlp_*]}
    keep: true
tie: none
tuning: {preset: rtn}
export: [auto_round, auto_gptq]
output: out/{name}
)";

using Result = testing_support::CommandResult;
Result run(const std::string& args) { return testing_support::run_command(kBinary + " " + args + " 2>&1"); }

class RunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arecipe-run-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_file_atomic((dir_ / "stories.yaml").string(), kRecipe);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string args(const std::string& extra = "") const {
    return "run " + (dir_ / "stories.yaml").string() + " --model " + kModel + " --output " + (dir_ / "out").string() +
           " " + extra;
  }
  fs::path dir_;
};

void expect_matches_golden(const fs::path& out, const std::string& golden_case) {
  SafetensorsFile want(kGolden + golden_case + ".safetensors");
  SafetensorsFile got((out / "model.safetensors").string());
  for (const TensorInfo& t : want.tensors()) {
    const TensorInfo* g = got.find(t.name);
    ASSERT_NE(g, nullptr) << t.name;
    EXPECT_TRUE(at::equal(to_tensor(got.view(*g), at::kDouble), to_tensor(want.view(t), at::kDouble))) << t.name;
  }
  json want_qc = json::parse(read_text_file(kGolden + golden_case + ".quantization_config.json"));
  json got_qc = json::parse(read_text_file((out / "config.json").string())).at("quantization_config");
  // auto-round sets amp from the device it ran on (false on a CPU without bf16); it
  // says nothing about the weights.
  want_qc.erase("amp");
  EXPECT_EQ(got_qc, want_qc) << got_qc.dump(2);
  EXPECT_TRUE(fs::exists(out / "arecipe.lock.json"));
}

TEST_F(RunCli, RtnRecipeMatchesAutoRoundExports) {
  Result r = run(args("--json"));
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("\"quantized_layers\": 20"), std::string::npos) << r.output;
  expect_matches_golden(dir_ / "out" / "auto-round", "auto_round_w4g32_sym_mixed");
  expect_matches_golden(dir_ / "out" / "auto-gptq", "auto_gptq_w4g32_sym_mixed");

  // A second run must not clobber the first...
  const auto before = fs::last_write_time(dir_ / "out" / "auto-round" / "model.safetensors");
  Result again = run(args());
  EXPECT_EQ(again.rc, 1) << again.output;
  EXPECT_NE(again.output.find("already exists"), std::string::npos) << again.output;
  EXPECT_EQ(fs::last_write_time(dir_ / "out" / "auto-round" / "model.safetensors"), before);
  // ...unless forced.
  Result forced = run(args("--force"));
  EXPECT_EQ(forced.rc, 0) << forced.output;
  expect_matches_golden(dir_ / "out" / "auto-round", "auto_round_w4g32_sym_mixed");
}

TEST_F(RunCli, TuningWithoutCalibrationDataIsRefusedBeforeAnyWork) {
  Result r = run(args("--set tuning.preset=default"));
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("stories.yaml: SignRound tuning needs calibration data"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

}  // namespace

namespace {

TEST_F(RunCli, FormatThatCannotHoldThePlanIsAUserError) {
  Result r = run(args("--set 'export=[auto_round:llm_compressor]'"));
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("auto_round:llm_compressor packs floating-point weights, not int"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

}  // namespace
