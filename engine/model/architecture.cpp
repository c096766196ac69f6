#include "engine/model/architecture.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <vector>

#include "engine/util/error.h"
#include "engine/util/torch_compat.h"

namespace arecipe {

std::unique_ptr<Architecture> make_llama_family(const ModelConfig& config);  // llama_family.cpp
std::unique_ptr<Architecture> make_deepseek_v3(const ModelConfig& config);   // deepseek_v3.cpp

const at::Tensor& BlockWeights::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw Error("tensor '" + name + "' is missing from the block's weights");
  return it->second;
}

at::Tensor BlockWeights::optional(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? at::Tensor() : it->second;
}

at::Tensor Architecture::project(const BlockWeights& w, const ForwardContext& ctx, const std::string& module,
                                 const at::Tensor& x) const {
  if (ctx.observe_linear_input) ctx.observe_linear_input(module, x);
  return linear(x, w.get(module + ".weight"), w.optional(module + ".bias"));
}

namespace {
[[noreturn]] void no_moe(int b) {
  throw Error("block " + std::to_string(b) + " is not a mixture-of-experts block of this architecture");
}
}  // namespace

std::string Architecture::expert_prefix(int b, int64_t) const { no_moe(b); }
at::Tensor Architecture::attention_residual(int b, const BlockWeights&, const at::Tensor&,
                                            const ForwardContext&) const { no_moe(b); }
at::Tensor Architecture::mlp_input(int b, const BlockWeights&, const at::Tensor&) const { no_moe(b); }
Routing Architecture::route(int b, const BlockWeights&, const at::Tensor&, const ForwardContext&) const { no_moe(b); }
at::Tensor Architecture::expert_forward(int b, int64_t, const BlockWeights&, const at::Tensor&,
                                        const ForwardContext&) const { no_moe(b); }
at::Tensor Architecture::shared_experts(int b, const BlockWeights&, const at::Tensor&,
                                        const ForwardContext&) const { no_moe(b); }

at::Tensor moe_block_forward(const Architecture& arch, int b, const BlockWeights& w, const at::Tensor& hidden,
                             const ForwardContext& ctx) {
  const at::Tensor h = arch.attention_residual(b, w, hidden, ctx);
  const at::Tensor x = arch.mlp_input(b, w, h);
  const at::Tensor flat = x.reshape({-1, x.size(-1)});
  const Routing r = arch.route(b, w, flat, ctx);
  at::Tensor y = combine_experts(flat, r, arch.routed_experts(b), [&](int64_t e, const at::Tensor& xe) {
    return arch.expert_forward(b, e, w, xe, ctx);
  });
  y = y.view(x.sizes());
  const at::Tensor shared = arch.shared_experts(b, w, x, ctx);
  if (shared.defined()) y = y + shared;
  return h + y;
}

std::unique_ptr<Architecture> make_architecture(const ModelConfig& config) {
  const std::string& a = config.architecture;
  if (a == "LlamaForCausalLM" || a == "MistralForCausalLM" || a == "Qwen2ForCausalLM" ||
      a == "Qwen3ForCausalLM" || a == "Qwen3MoeForCausalLM")
    return make_llama_family(config);
  if (a == "DeepseekV3ForCausalLM") return make_deepseek_v3(config);
  fail(config.path, "unsupported architecture '" + a +
                        "' for running (supported: LlamaForCausalLM, MistralForCausalLM, "
                        "Qwen2ForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM, DeepseekV3ForCausalLM)");
}

at::Tensor block_forward_batched(const Architecture& arch, int b, const BlockWeights& w, const at::Tensor& x,
                                 const ForwardContext& ctx, int64_t batch) {
  NoGradGuard no_grad;
  std::vector<at::Tensor> outs;
  for (int64_t s = 0; s < x.size(0); s += batch)
    outs.push_back(arch.block_forward(b, w, x.slice(0, s, std::min(s + batch, x.size(0))), ctx));
  return at::cat(outs, 0);
}

}  // namespace arecipe
