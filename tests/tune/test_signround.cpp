// SignRound on one real block (examples/tiny-qwen3, block 0) with a small budget.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <limits>

#include "engine/model/model.h"
#include "engine/tune/signround.h"
#include "engine/util/error.h"
#include "engine/util/torch_compat.h"
#include "schemes/qdq/int_qdq.h"

namespace arecipe::tune {
namespace {

struct BlockFixture {
  Model model = Model::open("examples/tiny-qwen3/model");
  BlockWeights fp = model.load_block(0);
  ForwardContext ctx = model.arch().make_context(32);
  at::Tensor inputs, targets, mask;

  BlockFixture() {
    NoGradGuard no_grad;
    at::Tensor ids = at::empty({8, 32}, at::kLong);
    auto a = ids.accessor<int64_t, 2>();
    for (int64_t i = 0; i < 8; ++i)
      for (int64_t j = 0; j < 32; ++j) a[i][j] = (i * 131 + j * 17 + 1) % model.config().vocab_size;
    inputs = model.embed(ids);
    targets = model.arch().block_forward(0, fp, inputs, ctx);
    mask = at::ones({8, 32});
    mask.select(1, 31).fill_(0);
  }

  std::vector<TunableLayer> layers(int bits) {
    std::vector<TunableLayer> out;
    for (const auto& l : model.inventory().layers)
      if (l.block == 0)
        out.push_back(TunableLayer::create(l.name, {bits, 32, true, "int"}, fp.get(l.name + ".weight"), {}, true,
                                           1.0 / 20, 1.0 / 20));
    return out;
  }

  BlockTuneStats tune(std::vector<TunableLayer>& layers, const autoscheme::TuningSettings& s, at::Tensor in = {}) {
    BlockTuneJob job;
    job.arch = &model.arch();
    job.block = 0;
    job.weights = &fp;
    job.layers = &layers;
    job.ctx = &ctx;
    job.inputs = in.defined() ? in : inputs;
    job.targets = targets;
    job.loss_mask = mask;
    job.settings = &s;
    return signround_block(job);
  }
};

// Every iteration sees all 8 samples: one batch of 8, or two of 4 with accumulation.
autoscheme::TuningSettings fast(int iters, int accumulate = 1) {
  autoscheme::TuningSettings s;
  s.iters = iters;
  s.nsamples = 8;
  s.batch_size = 8 / accumulate;
  s.gradient_accumulate_steps = accumulate;
  return s;
}

// The masked squared error of the block with each layer's finalized weights, over all
// 8 samples: {mean, sum}.
std::pair<double, double> final_error(BlockFixture& f, std::vector<TunableLayer>& layers) {
  const BlockWeights wq = with_layer_weights(f.fp, layers, [](TunableLayer& l) { return l.finalize(true).fake_quant; });
  NoGradGuard no_grad;
  const at::Tensor out = f.model.arch().block_forward(0, wq, f.inputs, f.ctx);
  const at::Tensor m = f.mask.unsqueeze(-1);
  const at::Tensor sq = (out * m - f.targets * m).pow(2);
  return {sq.mean().item<double>(), sq.sum().item<double>()};
}

TEST(TunableLayer, UntunedIsExactlyRtn) {
  BlockFixture f;
  for (TunableLayer& l : f.layers(2)) {
    const exporters::QuantizedLayer q = l.finalize(true);
    const qdq::IntQdq rtn = qdq::qdq_int(l.weight, l.spec);
    EXPECT_TRUE(at::equal(q.fake_quant, rtn.qdq)) << l.name;
    EXPECT_TRUE(at::equal(q.scale, rtn.scale)) << l.name;
  }
}

TEST(TunableLayer, SignStepMovesEachParamByItsLearningRate) {
  BlockFixture f;
  TunableLayer l = std::move(f.layers(4).front());
  l.lr = 0.1;
  l.minmax_lr = 0.25;
  at::Tensor w = l.fake_quant();
  (w * at::randn_like(w)).sum().backward();
  const at::Tensor gv = l.params.v.grad().clone(), gmax = l.params.max_scale.grad().clone();
  l.sign_step(0.5);
  EXPECT_TRUE(at::allclose(l.params.v, -0.05 * at::sign(gv)));
  // β starts at 1 and is clamped to [0, 1] before the next use.
  l.fake_quant();
  EXPECT_TRUE(at::allclose(l.params.max_scale, at::clamp(1.0 - 0.125 * at::sign(gmax), 0.0, 1.0)));
  EXPECT_EQ(l.params.v.grad().abs().sum().item<double>(), 0.0);
}

TEST(SignRoundBlock, IterationZeroIsRtnAndTuningImprovesW2) {
  BlockFixture f;
  auto layers = f.layers(2);
  const BlockTuneStats st = f.tune(layers, fast(20));
  EXPECT_GT(st.rtn_loss, 0);
  EXPECT_LT(st.best_loss, st.rtn_loss * 0.95) << "20 iterations should beat RTN at W2";
  EXPECT_GT(st.best_iter, 0);
  // The best parameters, not the last ones, are what finalize() uses: upstream's
  // tracked loss is the batch mean over the number of unmasked tokens (8 x 31).
  EXPECT_NEAR(final_error(f, layers).first / 248, st.best_loss, 1e-4 * st.best_loss);
}

TEST(SignRoundBlock, GradientAccumulationSumsMicroBatches) {
  BlockFixture f;
  auto layers = f.layers(2);
  const BlockTuneStats st = f.tune(layers, fast(6, 2));
  EXPECT_LT(st.best_loss, st.rtn_loss);
  // Two micro-batches of 4 with sum reduction: the tracked loss is the total over
  // the number of unmasked tokens.
  EXPECT_NEAR(final_error(f, layers).second / 248, st.best_loss, 1e-4 * st.best_loss);
}

TEST(SignRoundBlock, IsDeterministic) {
  BlockFixture f;
  auto a = f.layers(2), b = f.layers(2);
  f.tune(a, fast(5));
  f.tune(b, fast(5));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::equal(a[i].finalize(true).fake_quant, b[i].finalize(true).fake_quant)) << a[i].name;
    EXPECT_TRUE(at::equal(a[i].best.v, b[i].best.v)) << a[i].name;
  }
}

TEST(SignRoundBlock, NanActivationsAreAClearError) {
  BlockFixture f;
  auto layers = f.layers(4);
  at::Tensor bad = f.inputs.clone();
  bad[3][5][7] = std::numeric_limits<float>::quiet_NaN();
  try {
    f.tune(layers, fast(2), bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("block 0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
}

TEST(SignRoundBlock, NonIntDataTypesAreRefusedByName) {
  BlockFixture f;
  const auto& l = f.model.inventory().layers.front();
  EXPECT_THROW(TunableLayer::create(l.name, {4, 32, true, "mx_fp"}, f.fp.get(l.name + ".weight"), {}, true, 0.1, 0.1),
               Error);
}

}  // namespace
}  // namespace arecipe::tune
