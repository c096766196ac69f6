// The block-streamed delta loss against the same quantity computed the obvious way:
// the whole model as one autograd graph with every candidate W^ a leaf, one
// backward per batch. Any slip in the streaming (wrong stored input, gradient handed
// to the wrong block, scores taken before a batch's backward completes) shows here.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "engine/probe/delta_loss.h"
#include "engine/util/error.h"
#include "engine/util/runtime.h"

namespace arecipe::probe {
namespace {

// Whole-model autograd: the reference the streamed version must reproduce.
std::vector<double> whole_model_scores(const Model& model, const std::vector<ProbeLayer>& layers,
                                       const exporters::LayerScheme& s, const at::Tensor& ids, int64_t batch) {
  const Architecture& arch = model.arch();
  std::vector<BlockWeights> blocks;
  for (int b = 0; b < model.num_blocks(); ++b) blocks.push_back(model.load_block(b));
  at::Tensor head_w = model.load(arch.lm_head_name());
  std::vector<at::Tensor> w(layers.size()), w_hat(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string name = layers[i].name + ".weight";
    w[i] = layers[i].block >= 0 ? blocks[layers[i].block].get(name) : model.load(name);
    w_hat[i] = rtn_fake_quant(layers[i].name, s, w[i]).requires_grad_(true);
    if (layers[i].block >= 0)
      blocks[layers[i].block].set(name, w_hat[i]);
    else
      head_w = w_hat[i];
  }
  const ForwardContext ctx = arch.make_context(ids.size(1));
  std::vector<double> scores(layers.size(), 0.0);
  for (int64_t st = 0; st < ids.size(0); st += batch) {
    const at::Tensor x = ids.slice(0, st, std::min(st + batch, ids.size(0)));
    at::Tensor h = model.embed(x);
    for (int b = 0; b < model.num_blocks(); ++b) h = arch.block_forward(b, blocks[b], h, ctx);
    causal_lm_loss(at::linear(arch.final_norm(h, model.load(arch.final_norm_name())), head_w), x).backward();
    for (size_t i = 0; i < layers.size(); ++i) {
      scores[i] += (w_hat[i].grad() * (w[i] - w_hat[i].detach())).abs().sum().item<double>();
      w_hat[i].grad().zero_();
    }
  }
  return scores;
}

std::vector<ProbeLayer> all_layers(const Model& m) {
  std::vector<std::string> names;
  for (const auto& l : m.inventory().layers) names.push_back(l.name);
  return resolve_layers(m, names);
}

void expect_same_scores(const std::string& dir, const std::string& option, int64_t n, int64_t t, int64_t batch) {
  init_runtime(1);
  const Model model = Model::open(dir);
  const std::vector<ProbeLayer> layers = all_layers(model);
  const at::Tensor ids = at::randint(model.config().vocab_size, {n, t}, at::TensorOptions().dtype(at::kLong));
  const exporters::LayerScheme s = probe_scheme(option);
  const std::vector<double> streamed = delta_loss_scores(model, layers, s, ids, batch);
  const std::vector<double> whole = whole_model_scores(model, layers, s, ids, batch);
  ASSERT_EQ(streamed.size(), whole.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    EXPECT_GT(whole[i], 0.0) << layers[i].name;
    EXPECT_NEAR(streamed[i], whole[i], 1e-4 * whole[i]) << layers[i].name;
  }
}

TEST(DeltaLoss, StreamedEqualsWholeModelAutogradOnTinyQwen3) {
  at::manual_seed(1);
  expect_same_scores("examples/tiny-qwen3/model", "W4A16G32", 5, 24, 2);  // last batch smaller
}

// Untied lm_head (scored in the head step), attention and MLP biases, llama3 rope.
TEST(DeltaLoss, StreamedEqualsWholeModelAutogradWithLmHead) {
  at::manual_seed(2);
  expect_same_scores("tests/golden/fixtures/arch/llama-rope-llama3", "W2A16G32", 4, 16, 3);
}

TEST(DeltaLoss, ChunkingTheSamplesChangesNoScore) {
  init_runtime(1);
  at::manual_seed(4);
  const Model model = Model::open("examples/tiny-qwen3/model");
  const std::vector<ProbeLayer> layers = all_layers(model);
  const at::Tensor ids = at::randint(model.config().vocab_size, {7, 16}, at::TensorOptions().dtype(at::kLong));
  const exporters::LayerScheme s = probe_scheme("W2A16G32");
  EXPECT_EQ(delta_loss_chunks(7, 2, 0), 1);
  EXPECT_EQ(delta_loss_chunks(7, 2, 5), 2);  // chunks of 4 samples (whole batches)
  EXPECT_EQ(delta_loss_chunks(7, 2, 1), 4);  // at least one batch per chunk
  const std::vector<double> all = delta_loss_scores(model, layers, s, ids, 2);
  for (int64_t resident : {1, 5}) {
    const std::vector<double> chunked = delta_loss_scores(model, layers, s, ids, 2, resident);
    for (size_t i = 0; i < layers.size(); ++i) EXPECT_NEAR(chunked[i], all[i], 1e-6 * all[i]) << layers[i].name;
  }
}

TEST(DeltaLoss, LossIsTransformersShiftedMeanCrossEntropy) {
  // 1 sample, 3 tokens, vocab 2: predictions at positions 0 and 1 only.
  const at::Tensor logits = at::tensor({0.f, 1.f, 2.f, 0.f, 5.f, 5.f}).view({1, 3, 2});
  const at::Tensor ids = at::tensor({0, 1, 0}, at::kLong).view({1, 3});
  const double l0 = std::log(1 + std::exp(-1.0)), l1 = std::log(1 + std::exp(-2.0));
  EXPECT_NEAR(causal_lm_loss(logits, ids).item<double>(), (l0 + l1) / 2, 1e-6);
}

TEST(DeltaLoss, BadInputsAreErrors) {
  const Model model = Model::open("examples/tiny-qwen3/model");
  const std::vector<ProbeLayer> layers = all_layers(model);
  const exporters::LayerScheme s = probe_scheme("W4A16");
  EXPECT_THROW(delta_loss_scores(model, layers, s, at::zeros({2, 1}, at::kLong), 1), Error);
  EXPECT_THROW(delta_loss_scores(model, layers, s, at::zeros({2, 8}, at::kLong), 0), Error);
  EXPECT_THROW(resolve_layers(model, {}), Error);
  EXPECT_THROW(resolve_layers(model, {"model.layers.0.mlp.up_projj"}), Error);
  EXPECT_THROW(resolve_layers(model, {"model.layers.0.mlp.up_proj", "model.layers.0.mlp.up_proj"}), Error);
  EXPECT_THROW(probe_scheme("W5A17"), Error);
  EXPECT_THROW(probe_scheme("MXFP4"), Error);   // activation-quantized
  EXPECT_THROW(probe_scheme("Q4_K_M"), Error);  // GGUF
}

}  // namespace
}  // namespace arecipe::probe
