// block_mse against its definition computed directly: the FP chain up to the layer's
// block, that block's output with the one layer quantized vs in full precision,
// squared error weighted by the loss mask, divided by valid tokens x width.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/probe/block_mse.h"
#include "engine/tune/calibration_inputs.h"
#include "engine/util/error.h"
#include "engine/util/runtime.h"

namespace arecipe::probe {
namespace {

double direct_block_mse(const Model& model, const ProbeLayer& l, const exporters::LayerScheme& s,
                        const at::Tensor& ids, const at::Tensor& mask) {
  const Architecture& arch = model.arch();
  const ForwardContext ctx = arch.make_context(ids.size(1));
  at::Tensor x = model.embed(ids);
  const int last = l.block >= 0 ? l.block : model.num_blocks();
  for (int b = 0; b < last; ++b) x = arch.block_forward(b, model.load_block(b), x, ctx);
  at::Tensor ref, out;
  const std::string wname = l.name + ".weight";
  if (l.block >= 0) {
    BlockWeights w = model.load_block(l.block);
    ref = arch.block_forward(l.block, w, x, ctx);
    w.set(wname, rtn_fake_quant(l.name, s, w.get(wname)));
    out = arch.block_forward(l.block, w, x, ctx);
  } else {
    const at::Tensor h = arch.final_norm(x, model.load(arch.final_norm_name()));
    ref = at::linear(h, model.load(wname));
    out = at::linear(h, rtn_fake_quant(l.name, s, model.load(wname)));
  }
  return ((out - ref).pow(2) * mask.unsqueeze(-1)).sum().item<double>() / (mask.sum().item<double>() * ref.size(2));
}

TEST(BlockMse, EqualsItsDefinitionIncludingLmHead) {
  init_runtime(1);
  at::manual_seed(3);
  const Model model = Model::open("tests/golden/fixtures/arch/llama-rope-llama3");
  const std::vector<ProbeLayer> layers =
      resolve_layers(model, {"model.layers.1.mlp.down_proj", "model.layers.0.self_attn.q_proj", "lm_head"});
  const at::Tensor ids = at::randint(model.config().vocab_size, {5, 16}, at::TensorOptions().dtype(at::kLong));
  const at::Tensor mask = tune::loss_mask_for(ids, std::nullopt);
  const std::vector<exporters::LayerScheme> schemes = {probe_scheme("W2A16G32"), probe_scheme("W8A16G32")};
  const auto scores = block_mse_scores(model, layers, schemes, ids, mask, 2);
  ASSERT_EQ(scores.size(), 2u);
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t k = 0; k < schemes.size(); ++k) {
      const double want = direct_block_mse(model, layers[i], schemes[k], ids, mask);
      EXPECT_NEAR(scores[k][i], want, 1e-4 * want) << layers[i].name << " option " << k;
    }
    EXPECT_GT(scores[0][i], scores[1][i]) << layers[i].name;  // W2 moves the output more than W8
  }
}

TEST(BlockMse, RefusesAMaskOfTheWrongShapeOrAllMasked) {
  const Model model = Model::open("tests/golden/fixtures/arch/llama-rope-llama3");
  const std::vector<ProbeLayer> layers = resolve_layers(model, {"lm_head"});
  const at::Tensor ids = at::zeros({2, 8}, at::kLong);
  const std::vector<exporters::LayerScheme> s = {probe_scheme("W4A16")};
  EXPECT_THROW(block_mse_scores(model, layers, s, ids, at::ones({2, 7}), 1), Error);
  EXPECT_THROW(block_mse_scores(model, layers, s, ids, at::zeros({2, 8}), 1), Error);
  EXPECT_THROW(block_mse_scores(model, layers, s, ids, at::ones({2, 8}), 0), Error);
}

}  // namespace
}  // namespace arecipe::probe
