// MoE adapters (DeepSeek-V3, Qwen3-MoE) vs transformers, from bf16 and FP8 sources
// (fixtures: tests/golden/moe/gen_moe_fixtures.py), and proof that the comparison can
// fail: a router configured differently must miss the expected logits by far.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"
#include "engine/model/model.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"

using namespace arecipe;
namespace fs = std::filesystem;

namespace {

// Float32 reference vs our fp32 forward: differences are summation order (~1e-6);
// routing margins in the fixtures are >= 1e-4, so no token changes experts.
constexpr double kTolerance = 1e-4;
const std::string kRoot = "tests/golden/moe/";

struct Expected {
  at::Tensor ids, logits;
};

Expected read_expected(const std::string& dir) {
  SafetensorsFile f(dir + "/expected.safetensors");
  return {to_tensor(f.view(*f.find("input_ids")), at::kLong), to_tensor(f.view(*f.find("logits")))};
}

double max_diff(const std::string& model_dir, const Expected& e) {
  Model model = Model::open(model_dir);
  at::Tensor got = model.logits(e.ids);
  EXPECT_EQ(got.sizes(), e.logits.sizes());
  return (got - e.logits).abs().max().item<double>();
}

// A scratch copy of a fixture whose config.json `edit` changes.
class EditedCopy {
 public:
  EditedCopy(const std::string& fixture, const std::function<void(nlohmann::json&)>& edit) {
    dir_ = fs::temp_directory_path() / ("arecipe-moe-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    fs::copy_file(kRoot + fixture + "/model.safetensors", dir_ / "model.safetensors");
    std::ifstream in(kRoot + fixture + "/config.json");
    nlohmann::json c = nlohmann::json::parse(in);
    edit(c);
    std::ofstream(dir_ / "config.json") << c.dump(2);
  }
  ~EditedCopy() { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
  static inline int next_ = 0;
};

class MoeGolden : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(MoeGolden, LogitsMatchTransformers) {
  const std::string dir = kRoot + GetParam();
  const Expected e = read_expected(dir);
  const double d = max_diff(dir, e);
  RecordProperty("max_abs_logit_diff", std::to_string(d));
  EXPECT_LT(d, kTolerance) << dir;
  EXPECT_GT(e.logits.std().item<double>(), 0.1);  // the logits carry signal
}

INSTANTIATE_TEST_SUITE_P(Fixtures, MoeGolden,
                         ::testing::Values("deepseek-v3-bf16", "deepseek-v3-fp8", "qwen3-moe-bf16", "qwen3-moe-fp8",
                                           // q_proj (no q LoRA), attention biases, plain RoPE
                                           "deepseek-v3-plain-q-bf16"));

TEST(MoeGolden, Fp8ReferenceDiffersFromBf16) {
  // The FP8 fixture's expected logits are those of its dequantized weights, not the
  // bf16 ones: reading the F8 bytes without their scales could not pass.
  const Expected bf16 = read_expected(kRoot + "deepseek-v3-bf16"), fp8 = read_expected(kRoot + "deepseek-v3-fp8");
  EXPECT_GT((bf16.logits - fp8.logits).abs().max().item<double>(), 100 * kTolerance);
}

// Each routing or attention ingredient, changed in config.json, must break the match.
struct Variant {
  const char* fixture;
  const char* what;
  std::function<void(nlohmann::json&)> edit;
};

TEST(MoeGolden, WrongRouterOrAttentionFails) {
  const std::vector<Variant> variants = {
      {"deepseek-v3-bf16", "no group limit", [](nlohmann::json& c) { c["topk_group"] = c["n_group"]; }},
      {"deepseek-v3-bf16", "norm_topk_prob off", [](nlohmann::json& c) { c["norm_topk_prob"] = false; }},
      {"deepseek-v3-bf16", "routed_scaling_factor 1", [](nlohmann::json& c) { c["routed_scaling_factor"] = 1.0; }},
      {"deepseek-v3-bf16", "top-k 3", [](nlohmann::json& c) { c["num_experts_per_tok"] = 3; }},
      {"deepseek-v3-bf16", "rope not interleaved", [](nlohmann::json& c) { c["rope_interleave"] = false; }},
      {"deepseek-v3-bf16", "no yarn mscale", [](nlohmann::json& c) { c["rope_parameters"]["mscale_all_dim"] = 0; }},
      {"deepseek-v3-bf16", "no yarn", [](nlohmann::json& c) { c["rope_parameters"] = {{"rope_type", "default"}, {"rope_theta", 10000.0}}; }},
      {"deepseek-v3-plain-q-bf16", "rope interleaved", [](nlohmann::json& c) { c["rope_interleave"] = true; }},
      {"deepseek-v3-plain-q-bf16", "no group limit", [](nlohmann::json& c) { c["topk_group"] = c["n_group"]; }},
      {"qwen3-moe-bf16", "norm_topk_prob off", [](nlohmann::json& c) { c["norm_topk_prob"] = false; }},
      {"qwen3-moe-bf16", "top-k 3", [](nlohmann::json& c) { c["num_experts_per_tok"] = 3; }},
  };
  for (const auto& v : variants) {
    EditedCopy copy(v.fixture, v.edit);
    const double d = max_diff(copy.dir(), read_expected(kRoot + v.fixture));
    EXPECT_GT(d, 100 * kTolerance) << v.fixture << ": " << v.what << " still matches (max diff " << d << ")";
  }
}

TEST(MoeGolden, SparseAndDenseBlocksFollowTheConfig) {
  // Qwen3-MoE fixture: mlp_only_layers [1]; DeepSeek: first_k_dense_replace 1.
  const Model q = Model::open(kRoot + "qwen3-moe-bf16");
  EXPECT_TRUE(is_moe_block(q.config(), 0));
  EXPECT_FALSE(is_moe_block(q.config(), 1));
  EXPECT_TRUE(is_moe_block(q.config(), 2));
  const Model d = Model::open(kRoot + "deepseek-v3-fp8");
  EXPECT_FALSE(is_moe_block(d.config(), 0));
  EXPECT_TRUE(is_moe_block(d.config(), 1));
  // Routed experts, shared experts and the router carry their roles; routers and
  // norms are never FP8 in the release, and the adapter needs the correction bias.
  int experts = 0, shared = 0, routers = 0;
  for (const auto& l : d.inventory().layers) {
    experts += l.role == Role::expert_gate || l.role == Role::expert_up || l.role == Role::expert_down;
    shared += l.role == Role::shared_gate || l.role == Role::shared_up || l.role == Role::shared_down;
    if (l.role == Role::router) {
      ++routers;
      EXPECT_EQ(d.fp8(l.weight_name()), nullptr) << l.name;
    }
  }
  EXPECT_EQ(experts, 2 * 16 * 3);
  EXPECT_EQ(shared, 2 * 3);
  EXPECT_EQ(routers, 2);
  EXPECT_NE(d.fp8("model.layers.1.mlp.experts.3.down_proj.weight"), nullptr);
  EXPECT_NE(d.fp8("model.layers.0.self_attn.kv_b_proj.weight"), nullptr);
  const auto names = d.arch().block_tensor_names(2);
  EXPECT_NE(std::find(names.begin(), names.end(), "model.layers.2.mlp.gate.e_score_correction_bias"), names.end());
}

TEST(MoeGolden, ConfigErrorsAreNamed) {
  const auto expect_error = [](const std::function<void(nlohmann::json&)>& edit, const std::string& message) {
    EditedCopy copy("deepseek-v3-bf16", edit);
    try {
      Model::open(copy.dir());
      ADD_FAILURE() << "opened a model with a bad config; expected: " << message;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  expect_error([](nlohmann::json& c) { c["n_group"] = 3; }, "n_routed_experts must be a multiple of n_group");
  expect_error([](nlohmann::json& c) { c["topk_group"] = 5; }, "topk_group exceeds n_group");
  expect_error([](nlohmann::json& c) { c.erase("routed_scaling_factor"); }, "routed_scaling_factor");
  expect_error([](nlohmann::json& c) { c["scoring_func"] = "softmax"; }, "scoring_func 'softmax' is not supported");
  expect_error([](nlohmann::json& c) { c["num_key_value_heads"] = 2; }, "num_key_value_heads must equal");
  // A config whose widths disagree with the tensors fails at open, not mid-forward.
  expect_error([](nlohmann::json& c) { c["kv_lora_rank"] = 24; }, "config.json implies");
  expect_error([](nlohmann::json& c) { c["rope_parameters"]["rope_type"] = "longrope"; }, "unsupported rope scaling type");
}
