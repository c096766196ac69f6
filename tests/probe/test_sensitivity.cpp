// probe_sensitivity end to end on the example model: the table's shape, the expected
// ordering of the options, the on-disk cache (hit, corrupt file) and bad requests.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsl/loader.h"
#include "engine/probe/probe_cache.h"
#include "engine/probe/sensitivity.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace fs = std::filesystem;

namespace arecipe::probe {
namespace {

const char* kModel = "examples/tiny-qwen3/model";

class Sensitivity : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arecipe-probe-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    recipe_ = dsl::load_recipe_text(
        "arecipe: 1\ncalibration: [{file: 'examples/tiny-qwen3/calibration.txt:concat=true'}]\n", "r.yaml");
  }
  void TearDown() override { fs::remove_all(dir_); }

  ProbeRequest request(const std::string& method) const {
    ProbeRequest r;
    r.model_dir = kModel;
    r.recipe = &recipe_;
    for (int b = 0; b < 4; ++b)
      for (const char* m : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                            "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"})
        r.layers.push_back("model.layers." + std::to_string(b) + "." + m);
    r.options = {"W2A16G32", "W4A16G32", "W8A16G32", "BF16"};
    r.method = method;
    r.nsamples = 4;
    r.seqlen = 64;
    r.batch_size = 2;
    r.threads = 1;
    return r;
  }

  fs::path dir_;
  dsl::Recipe recipe_;
};

// Most layers must order W2 > W4 > W8 > 16-bit (= 0): coarser grids move weights more.
void expect_bits_ordering(const autoscheme::SensitivityTable& t) {
  ASSERT_EQ(t.options.size(), 4u);
  size_t ordered = 0;
  for (const auto& [name, row] : t.scores) {
    ASSERT_EQ(row.size(), 4u) << name;
    EXPECT_EQ(row[3], 0.0) << name;
    for (double v : row) EXPECT_GE(v, 0.0) << name;
    if (row[0] > row[1] && row[1] > row[2] && row[2] > 0) ++ordered;
  }
  EXPECT_GE(ordered, t.scores.size() * 9 / 10) << ordered << " of " << t.scores.size();
}

TEST_F(Sensitivity, DeltaLossOrdersOptionsByBits) {
  const ProbeRequest r = request("delta_loss");
  const autoscheme::SensitivityTable t = probe_sensitivity(r);
  EXPECT_EQ(t.method, "delta_loss");
  EXPECT_EQ(t.options, r.options);
  EXPECT_EQ(t.scores.size(), r.layers.size());
  expect_bits_ordering(t);
}

TEST_F(Sensitivity, BlockMseOrdersOptionsByBits) {
  const autoscheme::SensitivityTable t = probe_sensitivity(request("block_mse"));
  EXPECT_EQ(t.method, "block_mse");
  expect_bits_ordering(t);
}

TEST_F(Sensitivity, SecondIdenticalCallReadsTheCache) {
  ProbeRequest r = request("delta_loss");
  r.options = {"W2A16G32", "BF16"};
  r.cache_dir = dir_.string();
  const autoscheme::SensitivityTable first = probe_sensitivity(r);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir_)) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);  // one pass: 16-bit options are never probed nor cached
  EXPECT_EQ(probe_sensitivity(r).scores, first.scores);

  // Proof that the second call read the file rather than probing again: a changed
  // number (key intact) comes back.
  nlohmann::json j = nlohmann::json::parse(read_text_file(files[0].string()));
  j["scores"]["model.layers.2.mlp.up_proj"] = 123.5;
  write_file_atomic(files[0].string(), j.dump());
  EXPECT_EQ(probe_sensitivity(r).scores.at("model.layers.2.mlp.up_proj")[0], 123.5);

  // Other settings are another key: a fresh pass, the edited file is not used.
  r.nsamples = 3;
  EXPECT_NE(probe_sensitivity(r).scores.at("model.layers.2.mlp.up_proj")[0], 123.5);
}

TEST_F(Sensitivity, CorruptCacheFilesAreIgnoredAndReplaced) {
  ProbeRequest r = request("block_mse");
  r.options = {"W4A16G32"};
  r.cache_dir = dir_.string();
  const autoscheme::SensitivityTable first = probe_sensitivity(r);
  const fs::path file = fs::directory_iterator(dir_)->path();
  for (const std::string bad : {std::string("{\"key\": tru"), std::string("[]"), std::string("")}) {
    std::ofstream(file) << bad;
    EXPECT_EQ(probe_sensitivity(r).scores, first.scores) << bad;
    EXPECT_NO_THROW(nlohmann::json::parse(read_text_file(file.string()))) << "rewritten after " << bad;
  }
  // A file whose key belongs to other settings is not trusted either.
  nlohmann::json j = nlohmann::json::parse(read_text_file(file.string()));
  j["key"] = "0000";
  j["scores"]["model.layers.0.mlp.up_proj"] = 7.0;
  std::ofstream(file) << j.dump();
  EXPECT_EQ(probe_sensitivity(r).scores, first.scores);
}

TEST_F(Sensitivity, CacheKeyCoversEveryField) {
  CacheKey k;
  k.model_fingerprint = "m";
  k.calibration_sha256 = "c";
  k.method = "delta_loss";
  k.option = "W4A16";
  k.nsamples = 16;
  k.seqlen = 256;
  k.batch_size = 8;
  k.layers = {"a"};
  const std::string d = k.digest();
  for (int f = 0; f < 8; ++f) {
    CacheKey o = k;
    switch (f) {
      case 0: o.model_fingerprint = "m2"; break;
      case 1: o.calibration_sha256 = "c2"; break;
      case 2: o.method = "block_mse"; break;
      case 3: o.option = "W2A16"; break;
      case 4: o.nsamples = 17; break;
      case 5: o.seqlen = 128; break;
      case 6: o.batch_size = 4; break;
      case 7: o.layers = {"a", "b"}; break;
    }
    EXPECT_NE(o.digest(), d) << f;
  }
  EXPECT_EQ(model_fingerprint(kModel), model_fingerprint(kModel));
  EXPECT_NE(model_fingerprint(kModel), model_fingerprint("tests/golden/fixtures/arch/qwen2"));
}

TEST_F(Sensitivity, BadRequestsAreErrors) {
  auto expect_error = [&](ProbeRequest r, const std::string& needle) {
    try {
      probe_sensitivity(r);
      ADD_FAILURE() << "expected an error mentioning " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  ProbeRequest r = request("delta_loss");
  r.method = "kl";
  expect_error(r, "unknown method");
  r = request("delta_loss");
  r.recipe = nullptr;
  expect_error(r, "no recipe");
  r = request("delta_loss");
  r.options = {"W4A16G32", "MXFP4"};
  expect_error(r, "MXFP4");
  r.options = {"W9"};
  expect_error(r, "unknown option");
  r = request("delta_loss");
  r.options.clear();
  expect_error(r, "no options");
  r = request("delta_loss");
  r.layers.push_back("model.layers.9.mlp.up_proj");
  expect_error(r, "model.layers.9.mlp.up_proj");
  r = request("delta_loss");
  r.nsamples = 0;
  expect_error(r, "positive");
  r = request("delta_loss");
  r.model_dir = "no/such/model";
  expect_error(r, "no/such/model");
  const dsl::Recipe no_data = dsl::load_recipe_text("arecipe: 1\n", "r.yaml");
  r = request("delta_loss");
  r.recipe = &no_data;
  expect_error(r, "calibration");
}

}  // namespace
}  // namespace arecipe::probe
