#include "engine/model/model.h"

#include <ATen/ATen.h>

#include "engine/model/fp8_weights_dequant.h"
#include "engine/model/packed_weights_dequant.h"
#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"
#include "engine/util/shape_text.h"
#include "engine/util/strings.h"
#include "engine/util/torch_compat.h"

namespace arecipe {

namespace {

void check_shape(const TensorStore& store, const std::string& name, std::vector<int64_t> expect) {
  const TensorInfo* t = store.find(name);
  if (!t) fail(store.dir(), "tensor '" + name + "' required by the architecture is missing");
  if (t->shape != expect)
    fail(store.dir(), "tensor '" + name + "' has shape " + shape_str(t->shape) + ", config.json implies " +
                          shape_str(expect));
}
}  // namespace

Model Model::open(const std::string& dir) {
  Model m;
  m.dir_ = dir;
  ModelConfig config = load_model_config(dir);
  m.inventory_ = inventory_from_config(config);
  m.arch_ = make_architecture(config);
  m.store_ = std::make_shared<TensorStore>(TensorStore::open_dir(dir));
  if (auto q = QuantizationConfig::from_model_config(config, m.inventory_))
    m.quant_ = std::make_shared<const QuantizationConfig>(std::move(*q));
  const std::optional<Fp8BlockScheme> fp8 = fp8_scheme_from_config(config);
  // Fail at open, not in the middle of a run: every needed tensor exists, and every
  // linear has the shape the config implies (packed linears: their packed tensors
  // have the shapes their scheme implies).
  const TensorStore& store = *m.store_;
  const TensorLookup find = [&store](const std::string& n) { return store.find(n); };
  for (const auto& l : m.inventory_.layers) {
    std::optional<PackedScheme> s = m.quant_ ? m.quant_->scheme_for(l.name) : std::nullopt;
    if (s) {
      m.packed_.emplace(l.weight_name(), check_packed_layer(find, dir, l.name, *s, l.out_features, l.in_features));
    } else {
      if (store.contains(l.name + ".qweight"))
        fail(dir, "tensor '" + l.name + ".qweight' is packed, but config.json" +
                      (m.quant_ ? "'s quantization_config keeps '" + l.name + "' in floating point"
                                : std::string(" has no quantization_config")));
      check_shape(store, l.weight_name(), {l.out_features, l.in_features});
      const bool scaled = store.contains(fp8_scale_name(l.weight_name()));
      if (scaled && !fp8)
        fail(dir, "tensor '" + fp8_scale_name(l.weight_name()) +
                      "' is a block scale, but config.json has no quantization_config with quant_method fp8");
      // With an fp8 config, every F8 linear must be block-scaled (else its raw bytes
      // would be read as weights); float linears (kept layers) load as they are.
      if (fp8 && (scaled || store.find(l.weight_name())->dtype == DType::F8_E4M3))
        m.fp8_.emplace(l.weight_name(),
                       check_fp8_weight(find, dir, l.weight_name(), *fp8, l.out_features, l.in_features));
    }
  }
  const Architecture& a = *m.arch_;
  for (int b = 0; b < m.inventory_.num_blocks; ++b) {
    for (const auto& name : a.block_tensor_names(b))
      if (!store.contains(name) && !m.packed_.count(name))
        fail(dir, "tensor '" + name + "' required by the architecture is missing");
    for (const auto& [name, shape] : a.block_tensor_shapes(b))
      if (!m.packed_.count(name)) check_shape(store, name, shape);
  }
  check_shape(store, a.embed_name(), {config.vocab_size, config.hidden_size});
  check_shape(store, a.final_norm_name(), {config.hidden_size});
  if (!store.contains(a.lm_head_name()) && !m.packed_.count(a.lm_head_name()))
    fail(dir, "tensor '" + a.lm_head_name() + "' is missing");
  return m;
}

const PackedLayer* Model::packed(const std::string& weight_name) const {
  auto it = packed_.find(weight_name);
  return it == packed_.end() ? nullptr : &it->second;
}

const Fp8Weight* Model::fp8(const std::string& weight_name) const {
  auto it = fp8_.find(weight_name);
  return it == fp8_.end() ? nullptr : &it->second;
}

at::Tensor Model::load(const std::string& name, at::ScalarType type) const {
  if (const PackedLayer* p = packed(name)) return dequantize_packed(*store_, *p, type);
  if (const Fp8Weight* f = fp8(name)) return dequantize_fp8(*store_, *f, type);
  return to_tensor(store_->view(name), type);
}

BlockWeights Model::load_block(int b, at::ScalarType type) const {
  BlockWeights w;
  for (const auto& name : arch_->block_tensor_names(b)) w.set(name, load(name, type));
  return w;
}

namespace {
bool is_routed_expert_tensor(const Architecture& arch, int b, const std::string& name) {
  if (arch.routed_experts(b) == 0) return false;
  // The common part of every expert's prefix ("model.layers.3.mlp.experts.").
  const std::string first = arch.expert_prefix(b, 0);
  const std::string stem = first.substr(0, first.find_last_of('.', first.size() - 2) + 1);
  return starts_with(name, stem);
}
}  // namespace

BlockWeights Model::load_block_without_experts(int b, at::ScalarType type) const {
  BlockWeights w;
  for (const auto& name : arch_->block_tensor_names(b))
    if (!is_routed_expert_tensor(*arch_, b, name)) w.set(name, load(name, type));
  return w;
}

BlockWeights Model::load_expert(int b, int64_t e, at::ScalarType type) const {
  const std::string p = arch_->expert_prefix(b, e);
  BlockWeights w;
  for (const auto& name : arch_->block_tensor_names(b))
    if (starts_with(name, p)) w.set(name, load(name, type));
  return w;
}

at::Tensor Model::embed(const at::Tensor& ids) const {
  return at::embedding(load(arch_->embed_name()), ids);
}

at::Tensor Model::head(const at::Tensor& hidden) const {
  at::Tensor h = arch_->final_norm(hidden, load(arch_->final_norm_name()));
  return at::linear(h, load(arch_->lm_head_name()));
}

at::Tensor Model::logits(const at::Tensor& ids) const {
  NoGradGuard no_grad;
  if (ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= config().vocab_size))
    throw Error("token id out of range for vocab_size " + std::to_string(config().vocab_size));
  at::Tensor h = embed(ids);
  const ForwardContext ctx = arch_->make_context(ids.size(1));
  for (int b = 0; b < num_blocks(); ++b) h = arch_->block_forward(b, load_block(b), h, ctx);
  return head(h);
}

}  // namespace arecipe
