// Where one SignRound iteration's time goes, before and after fusion: the same block
// step (forward of one batch, MSE, backward) with
//   plain    the FP weights as leaves with requires_grad (no fake-quant)
//   chain    weights fake-quantized by the ATen op chain (qdq_int, before fusion)
//   fused    weights fake-quantized by schemes/qdq/fused (what the tuner runs)
// each once with the layer ops eager (HF's op-by-op attention, RMSNorm, SiLU * up) and
// once fused (engine/model/fused_attention.h, fused_ops.h; what the tuner runs), and
//   linear GEMMs  each linear's forward and its two backward GEMMs alone, on random data.
// fake-quant share = (chain or fused) - plain; the rest of plain beyond the linear GEMMs
// is attention, norms, RoPE, the loss and autograd. Median of N iterations.
//   bench_iteration MODEL_DIR [--block 0] [--bits 2] [--group 32] [--batch 8] [--seqlen 256] [--iters 10] [--threads N]
#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/model/fused_ops.h"
#include "engine/model/model.h"
#include "engine/tune/signround.h"
#include "engine/util/runtime.h"
#include "engine/util/torch_compat.h"
#include "schemes/qdq/int_qdq.h"

using namespace arecipe;

namespace {

double median_ms(int iters, const std::function<void()>& step) {
  step();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_iteration MODEL_DIR [--block B] [--bits N] [--group G] [--batch N] [--seqlen T] [--iters N] [--threads N]\n");
    return 2;
  }
  int block = 0, bits = 2, batch = 8, seqlen = 256, iters = 10, threads = 0;
  int64_t group = 32;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (k == "--block") block = v;
    else if (k == "--bits") bits = v;
    else if (k == "--group") group = v;
    else if (k == "--batch") batch = v;
    else if (k == "--seqlen") seqlen = v;
    else if (k == "--iters") iters = v;
    else if (k == "--threads") threads = v;
  }
  init_runtime(threads);
  const Model model = Model::open(argv[1]);
  const BlockWeights fp = model.load_block(block);
  const ForwardContext ctx = model.arch().make_context(seqlen);
  at::Tensor x, ref;
  {
    NoGradGuard no_grad;
    at::Tensor ids = at::arange(batch * seqlen, at::kLong).view({batch, seqlen}).remainder(model.config().vocab_size);
    x = model.embed(ids);
    ref = model.arch().block_forward(block, fp, x, ctx);
  }
  std::vector<tune::TunableLayer> layers;
  for (const auto& l : model.inventory().layers)
    if (l.block == block)
      layers.push_back(tune::TunableLayer::create(l.name, {bits, group, true, "int"}, fp.get(l.name + ".weight"), {},
                                                  true, 0.005, 0.005));
  auto step = [&](const std::function<at::Tensor(tune::TunableLayer&)>& weight_of) {
    const BlockWeights w = tune::with_layer_weights(fp, layers, weight_of);
    const at::Tensor out = model.arch().block_forward(block, w, x, ctx);
    (out - ref).pow(2).mean().backward();
    for (auto& l : layers) l.sign_step(1.0);  // also zeroes the gradients
  };
  // The linears' GEMMs replayed with the shapes of one step: what a perfect everything-else
  // would leave.
  const int64_t tokens = int64_t{batch} * seqlen;
  std::vector<std::array<at::Tensor, 3>> gemms;  // input, weight, output grad
  for (const auto& l : layers)
    gemms.push_back({at::randn({tokens, l.weight.size(1)}), l.weight, at::randn({tokens, l.weight.size(0)})});
  const double matmuls = median_ms(iters, [&] {
    for (const auto& [in, w, gout] : gemms) {
      (void)at::matmul(in, w.t());     // forward
      (void)at::matmul(gout, w);       // grad of the input
      (void)at::matmul(gout.t(), in);  // grad of the weight
    }
  });
  std::vector<at::Tensor> leaves;
  for (auto& l : layers) leaves.push_back(l.weight.clone().set_requires_grad(true));
  struct Row {
    double plain, chain, fused;
  };
  const auto measure = [&](bool fused_layer_ops) {
    set_fused_ops_enabled(fused_layer_ops);
    Row r{};
    r.plain = median_ms(iters, [&] {
      size_t k = 0;
      step([&](tune::TunableLayer&) { return leaves[k++]; });
      for (auto& w : leaves) w.mutable_grad() = at::Tensor();
    });
    r.chain =
        median_ms(iters, [&] { step([](tune::TunableLayer& l) { return qdq::qdq_int(l.weight, l.spec, l.params).qdq; }); });
    r.fused = median_ms(iters, [&] { step([](tune::TunableLayer& l) { return l.fake_quant(); }); });
    return r;
  };
  const Row eager = measure(false), fused = measure(true);
  std::printf("SignRound iteration, %s block %d, W%dG%lld, batch %d x %d, %d threads (median of %d, ms)\n", argv[1],
              block, bits, static_cast<long long>(group), batch, seqlen, runtime_threads(), iters);
  std::printf("  %-38s %8.1f\n", "linear GEMMs alone (replay)", matmuls);
  std::printf("  %-38s %16s %16s\n", "", "eager layer ops", "fused layer ops");
  std::printf("  %-38s %16.1f %16.1f\n", "plain weights (no fake-quant)", eager.plain, fused.plain);
  std::printf("  %-38s %16.1f %16.1f\n", "fake-quant by the ATen chain", eager.chain, fused.chain);
  std::printf("  %-38s %16.1f %16.1f\n", "fused fake-quant", eager.fused, fused.fused);
  std::printf("  fake-quant share: ATen chain %.1f ms, fused %.1f ms (fused layer ops)\n", fused.chain - fused.plain,
              fused.fused - fused.plain);
  std::printf("  beyond the linear GEMMs (attention, norms, RoPE, loss, autograd): eager %.1f ms, fused %.1f ms\n",
              eager.plain - matmuls, fused.plain - matmuls);
  std::printf("  iteration speed-up, all eager -> all fused: %.2fx\n", eager.chain / fused.fused);
  return 0;
}
