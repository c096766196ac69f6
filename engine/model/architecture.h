// Architecture adapters: data (which tensors a block has, which linears with which
// roles) plus one forward function per block that takes its weights from the caller.
// Adding an architecture = one adapter file + golden logits from transformers.
#pragma once
#include <ATen/core/Tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/model/hf_config.h"
#include "engine/model/inventory.h"
#include "engine/model/layers.h"
#include "engine/model/moe.h"

namespace arecipe {

// Tensors of one block by full HF name. The tuner replaces linear weights with
// fake-quantized ones before calling forward.
class BlockWeights {
 public:
  void set(const std::string& name, at::Tensor t) { tensors_[name] = std::move(t); }
  const at::Tensor& get(const std::string& name) const;  // throws Error if absent
  // An undefined tensor if absent (optional biases).
  at::Tensor optional(const std::string& name) const;
  const std::unordered_map<std::string, at::Tensor>& all() const { return tensors_; }

 private:
  std::unordered_map<std::string, at::Tensor> tensors_;
};

// Sees the input of every linear a block forward runs (module name, input): how
// calibration collects importance matrices without a second copy of each adapter.
using LinearInputObserver = std::function<void(const std::string& module, const at::Tensor& input)>;

// Per-sequence-length state shared by all blocks of one forward pass.
struct ForwardContext {
  RopeTables rope;
  at::Tensor mask;  // additive [T, T]
  LinearInputObserver observe_linear_input;  // empty: no observation
};

class Architecture {
 public:
  explicit Architecture(ModelConfig config) : config_(std::move(config)) {}
  virtual ~Architecture() = default;

  const ModelConfig& config() const { return config_; }
  // Every tensor name block `b` needs (weights, norms, biases present in the model).
  virtual std::vector<std::string> block_tensor_names(int b) const = 0;
  // The shapes config.json implies for block `b`'s tensors, where the adapter states
  // them (Model::open checks each against the file); empty: only presence is checked.
  virtual std::vector<std::pair<std::string, std::vector<int64_t>>> block_tensor_shapes(int /*b*/) const {
    return {};
  }
  virtual ForwardContext make_context(int64_t seq_len) const = 0;
  // hidden: [B, T, hidden_size] → same shape.
  virtual at::Tensor block_forward(int b, const BlockWeights& w, const at::Tensor& hidden,
                                   const ForwardContext& ctx) const = 0;

  virtual std::string embed_name() const = 0;
  virtual std::string final_norm_name() const = 0;
  // The lm_head weight's name (the embedding's when tied).
  virtual std::string lm_head_name() const = 0;
  virtual at::Tensor final_norm(const at::Tensor& hidden, const at::Tensor& weight) const = 0;

  // Mixture-of-experts blocks, as the pieces moe_block_forward composes, so the tuner
  // can run a block's routed experts one at a time (engine/tune/moe_stream.h) instead
  // of loading all of them. Adapters without MoE blocks keep the defaults.
  // Routed experts of block b; 0 for a dense block (the other pieces are then unused).
  virtual int64_t routed_experts(int /*b*/) const { return 0; }
  // Every tensor of routed expert e starts with it ("model.layers.3.mlp.experts.7.").
  virtual std::string expert_prefix(int b, int64_t e) const;
  // hidden + attention: the residual stream the MLP adds to. [B, T, H] → [B, T, H].
  virtual at::Tensor attention_residual(int b, const BlockWeights& w, const at::Tensor& hidden,
                                        const ForwardContext& ctx) const;
  // The MLP's input: the post-attention norm of the residual stream.
  virtual at::Tensor mlp_input(int b, const BlockWeights& w, const at::Tensor& residual) const;
  // The router over tokens x: [N, H].
  virtual Routing route(int b, const BlockWeights& w, const at::Tensor& x, const ForwardContext& ctx) const;
  // Routed expert e on its tokens x: [M, H] → [M, H] (ungated).
  virtual at::Tensor expert_forward(int b, int64_t e, const BlockWeights& w, const at::Tensor& x,
                                    const ForwardContext& ctx) const;
  // The shared experts on x: [B, T, H]; undefined when the block has none.
  virtual at::Tensor shared_experts(int b, const BlockWeights& w, const at::Tensor& x, const ForwardContext& ctx) const;

 protected:
  // `module`.weight (and .bias when present) applied to x; reports x to the observer.
  at::Tensor project(const BlockWeights& w, const ForwardContext& ctx, const std::string& module,
                     const at::Tensor& x) const;

  ModelConfig config_;
};

// The adapter for config.architecture; throws Error naming config.json if unsupported.
std::unique_ptr<Architecture> make_architecture(const ModelConfig& config);

// An MoE block's forward from the pieces above: residual + Σ gate · routed expert +
// shared experts. The adapters' block_forward uses it, so a block run whole and a block
// run expert by expert compute the same thing.
at::Tensor moe_block_forward(const Architecture& arch, int b, const BlockWeights& w, const at::Tensor& hidden,
                             const ForwardContext& ctx);

// Block `b` over every sample of x ([N, T, H]), `batch` samples at a time, without
// autograd: how the tuner and the probes run reference and quantized chains.
at::Tensor block_forward_batched(const Architecture& arch, int b, const BlockWeights& w, const at::Tensor& x,
                                 const ForwardContext& ctx, int64_t batch);

}  // namespace arecipe
