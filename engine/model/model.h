// An opened model directory: config, memory-mapped tensors, inventory and the
// architecture adapter. Weights are read from the map when asked for, block by
// block, so a model larger than RAM can be run and quantized.
#pragma once
#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "engine/io/tensor_store.h"
#include "engine/model/architecture.h"
#include "engine/model/fp8_weights.h"
#include "engine/model/inventory.h"
#include "engine/model/packed_weights.h"

namespace arecipe {

class Model {
 public:
  // Throws Error naming the file at fault. Checks that every tensor the
  // architecture needs is present with the expected shape. A directory whose
  // config.json has a `quantization_config` (auto_round / auto_gptq / auto_awq packed
  // integers) is accepted: each quantized linear's packed tensors are checked here,
  // and `load` returns its dequantized weight under the plain `X.weight` name. So is an
  // FP8 source checkpoint (`quant_method: fp8`, block-scaled e4m3 weights with
  // `X.weight_scale_inv`, fp8_weights.h): every such linear is checked here.
  static Model open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const ModelConfig& config() const { return arch_->config(); }
  const Inventory& inventory() const { return inventory_; }
  const TensorStore& store() const { return *store_; }
  const Architecture& arch() const { return *arch_; }
  int num_blocks() const { return inventory_.num_blocks; }
  // The checkpoint's quantization (nullptr for a float checkpoint).
  const QuantizationConfig* quantization() const { return quant_.get(); }
  // The packed layer behind a weight name ("X.weight"), or nullptr.
  const PackedLayer* packed(const std::string& weight_name) const;
  // The block-scaled FP8 weight behind a weight name, or nullptr.
  const Fp8Weight* fp8(const std::string& weight_name) const;

  // One tensor as `type` (default fp32). A packed linear's "X.weight" is
  // dequantized from X.qweight / X.qzeros / X.scales (/ X.g_idx) on each call, an
  // FP8 one from X.weight and X.weight_scale_inv.
  at::Tensor load(const std::string& name, at::ScalarType type = at::kFloat) const;
  BlockWeights load_block(int b, at::ScalarType type = at::kFloat) const;
  // An MoE block in parts, so its routed experts can be streamed: every tensor but the
  // routed experts', and the tensors of one routed expert.
  BlockWeights load_block_without_experts(int b, at::ScalarType type = at::kFloat) const;
  BlockWeights load_expert(int b, int64_t e, at::ScalarType type = at::kFloat) const;

  at::Tensor embed(const at::Tensor& ids) const;  // [B, T] int64 → [B, T, H]
  at::Tensor head(const at::Tensor& hidden) const;  // final norm + lm_head → logits
  // Full forward, streaming block weights: [B, T] → [B, T, vocab] fp32.
  at::Tensor logits(const at::Tensor& ids) const;

 private:
  std::string dir_;
  std::shared_ptr<TensorStore> store_;
  std::shared_ptr<Architecture> arch_;
  Inventory inventory_;
  std::shared_ptr<const QuantizationConfig> quant_;
  std::unordered_map<std::string, PackedLayer> packed_;  // by weight name
  std::unordered_map<std::string, Fp8Weight> fp8_;       // by weight name
};

}  // namespace arecipe
