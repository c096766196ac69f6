// Streamed MoE blocks (engine/tune/moe_stream.h) on the tiny FP8 DeepSeek-V3 fixture
// (block 3: 8 routed experts, top-2, one shared expert) and on Qwen3-MoE (block 2: 8
// experts, top-2, no shared expert): the expert-by-expert FP pass is the block's
// forward, the quantized chain is the block run with the exported weights, experts no
// token reaches stay RTN, tuning lowers every part's loss, and a replay from the saved
// parts reproduces the run exactly.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>

#include "engine/model/model.h"
#include "engine/tune/moe_stream.h"
#include "engine/tune/tunable_layer.h"
#include "engine/util/torch_compat.h"

namespace arecipe::tune {
namespace {

constexpr int kBlock = 3;
const char* const kDeepSeek = "tests/golden/moe/deepseek-v3-int2mixed-fp8";

struct StreamFixture {
  Model model;
  int block;
  BlockWeights base;
  ForwardContext ctx;
  at::Tensor x, mask;
  std::map<std::string, exporters::LayerDecision> decisions;
  autoscheme::TuningSettings settings;
  // Per test and process: ctest runs the tests of this file in parallel.
  std::string work = (std::filesystem::temp_directory_path() /
                      ("arecipe-test-moe-stream-" + std::to_string(getpid()) + "-" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                         .string();
  RunState state{work, "test"};
  std::vector<exporters::QuantizedLayer> emitted;

  // samples x tokens of embedded ids: few tokens leave some experts without any.
  StreamFixture(int64_t samples, int64_t tokens, int iters, const char* dir = kDeepSeek, int b = kBlock)
      : model(Model::open(dir)), block(b), base(model.load_block_without_experts(b)) {
    NoGradGuard no_grad;
    ctx = model.arch().make_context(tokens);
    at::Tensor ids = at::empty({samples, tokens}, at::kLong);
    auto a = ids.accessor<int64_t, 2>();
    for (int64_t i = 0; i < samples; ++i)
      for (int64_t j = 0; j < tokens; ++j) a[i][j] = (i * 131 + j * 17 + 3) % model.config().vocab_size;
    x = model.embed(ids) * 4.0;  // random-init model: give the block inputs some scale
    mask = at::ones({samples, tokens});
    for (const auto& l : model.inventory().layers)
      if (l.block == block && l.role != Role::router)
        decisions[l.name] = {l.name, true, {l.role == Role::expert_up || l.role == Role::expert_gate ||
                                                    l.role == Role::expert_down ? 2 : 4,
                                            32, true, "int"}, true};
    settings.iters = iters;
    settings.batch_size = 2;
    settings.nsamples = static_cast<int>(samples);
    state.start(true);
  }

  MoeStreamJob job(bool replay) {
    MoeStreamJob j;
    j.model = &model;
    j.block = block;
    j.base = &base;
    j.ctx = &ctx;
    j.x_fp = x;
    j.x_in = x;
    j.loss_mask = mask;
    j.settings = &settings;
    j.forward_batch = 2;
    j.decision = [this](const std::string& m) {
      auto it = decisions.find(m);
      return it == decisions.end() ? nullptr : &it->second;
    };
    j.bias_of = [](const std::string&) { return at::Tensor(); };
    j.emit = [this](const std::vector<exporters::QuantizedLayer>& part) {
      emitted.insert(emitted.end(), part.begin(), part.end());
    };
    j.state = &state;
    j.replay = replay;
    j.show_progress = false;
    return j;
  }

  // The whole block with the emitted layers' weights.
  at::Tensor block_with_emitted() {
    BlockWeights w = model.load_block(block);
    for (const auto& q : emitted) w.set(q.name + ".weight", q.fake_quant.to(at::kFloat));
    return block_forward_batched(model.arch(), block, w, x, ctx, 2);
  }

  ~StreamFixture() { state.remove(); }
};

double rel_err(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

TEST(MoeStream, TheExpertByExpertFpPassIsTheBlockForward) {
  StreamFixture f(4, 16, 2);
  const MoeStreamResult r = stream_moe_block(f.job(false));
  const at::Tensor whole = block_forward_batched(f.model.arch(), kBlock, f.model.load_block(kBlock), f.x, f.ctx, 2);
  EXPECT_LT(rel_err(r.fp_out, whole), 1e-5);
}

TEST(MoeStream, TheQuantizedChainIsTheBlockWithTheExportedLayers) {
  StreamFixture f(4, 16, 4);
  const MoeStreamResult r = stream_moe_block(f.job(false));
  EXPECT_EQ(f.emitted.size(), f.decisions.size());  // each quantized layer once
  EXPECT_EQ(r.layers, static_cast<int>(f.decisions.size()));
  EXPECT_LT(rel_err(r.q_out, f.block_with_emitted()), 1e-5);
}

TEST(MoeStream, QwenMoeWithoutSharedExpertsStreamsToo) {
  StreamFixture f(4, 16, 4, "tests/golden/moe/qwen3-moe-bf16", 2);
  const MoeStreamResult r = stream_moe_block(f.job(false));
  EXPECT_EQ(f.emitted.size(), f.decisions.size());
  const at::Tensor whole = block_forward_batched(f.model.arch(), 2, f.model.load_block(2), f.x, f.ctx, 2);
  EXPECT_LT(rel_err(r.fp_out, whole), 1e-5);
  EXPECT_LT(rel_err(r.q_out, f.block_with_emitted()), 1e-5);
  EXPECT_LT(r.best_loss, r.rtn_loss);
}

TEST(MoeStream, ExpertsNoTokenReachesStayRtn) {
  StreamFixture f(1, 3, 4);  // 3 tokens x top-2: at most 6 of the 8 experts are reached
  const MoeStreamResult r = stream_moe_block(f.job(false));
  ASSERT_GE(r.experts_without_tokens, 2);
  int rtn_experts = 0;
  for (int64_t e = 0; e < 8; ++e) {
    const std::string p = f.model.arch().expert_prefix(kBlock, e);
    bool all_rtn = true;
    for (const auto& q : f.emitted) {
      if (q.name.rfind(p, 0) != 0) continue;
      TunableLayer t = TunableLayer::create(q.name, q.scheme, f.model.load(q.name + ".weight"), {}, true, 0.1, 0.1);
      all_rtn = all_rtn && at::equal(t.finalize(true).fake_quant, q.fake_quant);
    }
    rtn_experts += all_rtn;
  }
  // Every unreached expert is RTN (a reached one may be too, if no step beat RTN).
  EXPECT_GE(rtn_experts, r.experts_without_tokens);
}

TEST(MoeStream, TuningLowersTheLossOfTheParts) {
  StreamFixture f(4, 16, 8);
  const MoeStreamResult r = stream_moe_block(f.job(false));
  EXPECT_GT(r.rtn_loss, 0);
  EXPECT_LT(r.best_loss, r.rtn_loss);
}

TEST(MoeStream, AReplayFromTheSavedPartsIsTheSameBlock) {
  StreamFixture f(4, 16, 4);
  const MoeStreamResult first = stream_moe_block(f.job(false));
  const auto tuned = f.emitted;
  f.emitted.clear();
  const MoeStreamResult again = stream_moe_block(f.job(true));
  ASSERT_EQ(f.emitted.size(), tuned.size());
  for (size_t i = 0; i < tuned.size(); ++i) {
    EXPECT_EQ(f.emitted[i].name, tuned[i].name);
    EXPECT_TRUE(at::equal(f.emitted[i].fake_quant, tuned[i].fake_quant)) << tuned[i].name;
  }
  EXPECT_TRUE(at::equal(again.q_out, first.q_out));
  EXPECT_TRUE(at::equal(again.fp_out, first.fp_out));
}

}  // namespace
}  // namespace arecipe::tune
