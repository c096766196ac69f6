// Tuned GGUF (engine/tune/gguf_layer.h): the frozen-scale code view over llama.cpp's
// encoders, and SignRound on a real block (examples/tiny-qwen3, block 0) with GGUF
// types, judged on the bytes that would be written.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "engine/model/model.h"
#include "engine/tune/gguf_layer.h"
#include "engine/tune/signround.h"
#include "engine/util/torch_compat.h"
#include "schemes/ggml/codec.h"
#include "schemes/ggml/codes.h"

namespace arecipe::tune {
namespace {

using ggml::Type;
const Type kTypes[] = {Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1, Type::Q8_0,
                       Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K};

at::Tensor decode(Type t, const std::vector<uint8_t>& bytes, int64_t rows, int64_t cols) {
  at::Tensor out = at::empty({rows, cols}, at::kFloat);
  const size_t rb = ggml::row_bytes(t, cols);
  for (int64_t r = 0; r < rows; ++r) ggml::dequantize_row(t, bytes.data() + rb * r, cols, out.data_ptr<float>() + r * cols);
  return out;
}

TEST(GgufFixedScales, ZeroOffsetsAreLlamaCppAndBytesMatchTheFakeQuant) {
  const int64_t rows = 12, cols = 512;
  at::manual_seed(3);
  const at::Tensor w = at::randn({rows, cols}) * 0.05;
  std::vector<float> imp(cols);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0.1f, 3.f);
  for (auto& v : imp) v = u(rng);
  for (Type t : kTypes)
    for (bool with_imp : {false, true}) {
      SCOPED_TRACE(std::string(ggml::info(t).name) + (with_imp ? " imatrix" : ""));
      const GgufFixedScales g = GgufFixedScales::encode(t, w, with_imp ? imp : std::vector<float>{});
      // llama.cpp's bytes, row by row.
      std::vector<uint8_t> expect(g.rtn_bytes().size());
      const size_t rb = ggml::row_bytes(t, cols);
      for (int64_t r = 0; r < rows; ++r)
        ggml::quantize_row(t, w.data_ptr<float>() + r * cols, cols, with_imp ? imp.data() : nullptr, expect.data() + rb * r);
      ASSERT_EQ(g.rtn_bytes(), expect);
      const at::Tensor zero = at::zeros({rows, cols});
      ASSERT_EQ(g.bytes(zero), expect) << "V = 0 must write llama.cpp's bytes";
      NoGradGuard no_grad;
      ASSERT_TRUE(at::equal(g.fake_quant(zero), decode(t, expect, rows, cols))) << "V = 0 must be the decoded RTN weight";
      // Any offsets: the written bytes decode to exactly the weight that was tuned.
      const at::Tensor v = (at::rand({rows, cols}) - 0.5) * 1.6;
      const std::vector<uint8_t> tuned = g.bytes(v);
      ASSERT_NE(tuned, expect);
      ASSERT_TRUE(at::equal(g.fake_quant(v), decode(t, tuned, rows, cols)));
    }
}

TEST(GgufFixedScales, GradientIsTheScaleInsideTheCodeRange) {
  const at::Tensor w = at::randn({4, 256}) * 0.05;
  const GgufFixedScales g = GgufFixedScales::encode(Type::Q4_K, w, {});
  at::Tensor v = at::zeros({4, 256});
  v.set_requires_grad(true);
  g.fake_quant(v).sum().backward();
  const at::Tensor scale = g.scale().expand({4, 8, 32}).reshape({4, 256});
  // Codes strictly inside [0, 15] pass the scale through; at V = 0 the codes sit on
  // the grid, so the clamp passes the gradient everywhere except beyond the ends.
  const at::Tensor grad = v.grad();
  EXPECT_TRUE(at::allclose(grad, scale)) << (grad - scale).abs().max().item<float>();
}

// SignRound with Q2_K over llama.cpp's scales on block 0: the loss of the block with
// the weights decoded from the written bytes is the tracked best loss, below the loss
// with llama.cpp's own bytes (iteration 0).
TEST(GgufSignRound, TunedBytesBeatLlamaCppRtnOnTheBlockLoss) {
  Model model = Model::open("examples/tiny-qwen3/model");
  const BlockWeights fp = model.load_block(0);
  const ForwardContext ctx = model.arch().make_context(32);
  at::Tensor ids = at::empty({8, 32}, at::kLong);
  auto a = ids.accessor<int64_t, 2>();
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t j = 0; j < 32; ++j) a[i][j] = (i * 131 + j * 17 + 1) % model.config().vocab_size;
  at::Tensor inputs, targets;
  {
    NoGradGuard no_grad;
    inputs = model.embed(ids);
    targets = model.arch().block_forward(0, fp, inputs, ctx);
  }
  const at::Tensor mask = at::ones({8, 32});
  std::vector<TunableLayer> layers;
  for (const auto& l : model.inventory().layers)
    if (l.block == 0) {
      const at::Tensor& w = fp.get(l.name + ".weight");
      layers.push_back(TunableLayer::create_gguf(l.name, {2, 16, false, "int"}, GgufFixedScales::encode(Type::Q2_K, w, {}), w,
                                                 {}, 1.0 / 20));
    }
  autoscheme::TuningSettings s;
  s.iters = 20;
  s.nsamples = 8;
  s.batch_size = 8;
  BlockTuneJob job;
  job.arch = &model.arch();
  job.weights = &fp;
  job.layers = &layers;
  job.ctx = &ctx;
  job.inputs = inputs;
  job.targets = targets;
  job.loss_mask = mask;
  job.settings = &s;
  const BlockTuneStats st = signround_block(job);
  EXPECT_GT(st.best_iter, 0);

  // The block loss (upstream's tracked value: mean / valid tokens) with decoded bytes.
  auto loss_of = [&](bool tuned) {
    const BlockWeights w = with_layer_weights(fp, layers, [&](TunableLayer& l) {
      const auto bytes = tuned ? l.gguf_bytes() : l.gguf->rtn_bytes();
      return decode(Type::Q2_K, bytes, l.weight.size(0), l.weight.size(1));
    });
    NoGradGuard no_grad;
    const at::Tensor out = model.arch().block_forward(0, w, inputs, ctx);
    return (out - targets).pow(2).mean().item<double>() / (8 * 32);
  };
  const double rtn = loss_of(false), tuned = loss_of(true);
  EXPECT_NEAR(rtn, st.rtn_loss, 1e-4 * st.rtn_loss) << "iteration 0 is llama.cpp's RTN";
  EXPECT_NEAR(tuned, st.best_loss, 1e-4 * st.best_loss) << "the written bytes are the best iteration's";
  EXPECT_LT(tuned, rtn * 0.97) << "20 iterations should improve on llama.cpp's Q2_K RTN";
}

}  // namespace
}  // namespace arecipe::tune
