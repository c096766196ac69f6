// Llama, Mistral, Qwen2, Qwen3 and Qwen3-MoE: one decoder block shape with a few switches.
//   Llama:     optional q/k/v/o bias (attention_bias), optional MLP bias (mlp_bias),
//              rope scaling (linear, llama3)
//   Mistral:   sliding-window causal mask
//   Qwen2:     q/k/v bias always, no o bias
//   Qwen3:     per-head RMSNorm on q and k before RoPE (q_norm, k_norm)
//   Qwen3-MoE: Qwen3 attention (q/k/v/o bias with attention_bias); the MLP of a sparse
//              block (is_moe_block) is a softmax top-k router `mlp.gate` over
//              `mlp.experts.E.{gate,up,down}_proj`, no shared expert
#include <ATen/ATen.h>

#include "engine/model/architecture.h"
#include "engine/model/moe.h"
#include "engine/util/error.h"

namespace arecipe {

namespace {

class LlamaFamily final : public Architecture {
 public:
  explicit LlamaFamily(const ModelConfig& c) : Architecture(c) {
    moe_ = c.architecture == "Qwen3MoeForCausalLM";
    qk_norm_ = c.architecture == "Qwen3ForCausalLM" || moe_;
    qkv_bias_ = c.architecture == "Qwen2ForCausalLM" || c.attention_bias;
    o_bias_ = c.architecture != "Qwen2ForCausalLM" && c.attention_bias;
    mlp_bias_ = c.mlp_bias && !moe_;  // Qwen3-MoE's MLPs have no bias whatever the config says
    if (moe_) {
      num_experts_ = num_routed_experts(c);
      top_k_ = c.raw.value("num_experts_per_tok", int64_t{0});
      norm_topk_prob_ = c.raw.value("norm_topk_prob", false);
    }
  }

  std::vector<std::string> block_tensor_names(int b) const override {
    const std::string p = prefix(b);
    std::vector<std::string> n = {p + "input_layernorm.weight", p + "post_attention_layernorm.weight"};
    for (const char* l : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
      n.push_back(p + "self_attn." + l + ".weight");
      const bool is_o = std::string(l) == "o_proj";
      if (is_o ? o_bias_ : qkv_bias_) n.push_back(p + "self_attn." + l + ".bias");
    }
    if (qk_norm_) {
      n.push_back(p + "self_attn.q_norm.weight");
      n.push_back(p + "self_attn.k_norm.weight");
    }
    if (sparse(b)) {
      n.push_back(p + "mlp.gate.weight");
      for (int64_t e = 0; e < num_experts_; ++e)
        for (const char* l : {"gate_proj", "up_proj", "down_proj"})
          n.push_back(expert(p, e) + l + ".weight");
      return n;
    }
    for (const char* l : {"gate_proj", "up_proj", "down_proj"}) {
      n.push_back(p + "mlp." + l + ".weight");
      if (mlp_bias_) n.push_back(p + "mlp." + l + ".bias");
    }
    return n;
  }

  ForwardContext make_context(int64_t seq_len) const override {
    return {rope_tables(config_.rope, config_.head_dim, seq_len),
            causal_mask(seq_len, config_.sliding_window)};
  }

  at::Tensor block_forward(int b, const BlockWeights& w, const at::Tensor& hidden,
                           const ForwardContext& ctx) const override {
    if (sparse(b)) return moe_block_forward(*this, b, w, hidden, ctx);
    const at::Tensor h = attention_residual(b, w, hidden, ctx);
    return h + mlp(prefix(b) + "mlp.", w, mlp_input(b, w, h), ctx);
  }

  int64_t routed_experts(int b) const override { return sparse(b) ? num_experts_ : 0; }
  std::string expert_prefix(int b, int64_t e) const override { return expert(prefix(b), e); }
  at::Tensor attention_residual(int b, const BlockWeights& w, const at::Tensor& hidden,
                                const ForwardContext& ctx) const override {
    const std::string p = prefix(b);
    const at::Tensor x = rms_norm(hidden, w.get(p + "input_layernorm.weight"), config_.rms_norm_eps);
    return hidden + attention(p + "self_attn.", w, x, ctx);
  }
  at::Tensor mlp_input(int b, const BlockWeights& w, const at::Tensor& h) const override {
    return rms_norm(h, w.get(prefix(b) + "post_attention_layernorm.weight"), config_.rms_norm_eps);
  }
  // Qwen3MoeSparseMoeBlock: router logits in the activations' dtype, softmax top-k.
  Routing route(int b, const BlockWeights& w, const at::Tensor& x, const ForwardContext& ctx) const override {
    return softmax_topk_routing(project(w, ctx, prefix(b) + "mlp.gate", x), top_k_, norm_topk_prob_);
  }
  at::Tensor expert_forward(int b, int64_t e, const BlockWeights& w, const at::Tensor& x,
                            const ForwardContext& ctx) const override {
    return mlp(expert(prefix(b), e), w, x, ctx);
  }
  at::Tensor shared_experts(int, const BlockWeights&, const at::Tensor&, const ForwardContext&) const override {
    return at::Tensor();  // Qwen3-MoE has none
  }

  std::string embed_name() const override { return "model.embed_tokens.weight"; }
  std::string final_norm_name() const override { return "model.norm.weight"; }
  std::string lm_head_name() const override {
    return config_.tie_word_embeddings ? embed_name() : "lm_head.weight";
  }
  at::Tensor final_norm(const at::Tensor& hidden, const at::Tensor& weight) const override {
    return rms_norm(hidden, weight, config_.rms_norm_eps);
  }

 private:
  static std::string prefix(int b) { return "model.layers." + std::to_string(b) + "."; }
  static std::string expert(const std::string& p, int64_t e) { return p + "mlp.experts." + std::to_string(e) + "."; }
  bool sparse(int b) const { return moe_ && is_moe_block(config_, b); }

  // HF: down_proj(act_fn(gate_proj(x)) * up_proj(x)); `m` ends with '.'.
  at::Tensor mlp(const std::string& m, const BlockWeights& w, const at::Tensor& x, const ForwardContext& ctx) const {
    at::Tensor g = swiglu(project(w, ctx, m + "gate_proj", x), project(w, ctx, m + "up_proj", x));
    return project(w, ctx, m + "down_proj", g);
  }

  // [B, T, H*D] → [B, H, T, D]
  at::Tensor split_heads(const at::Tensor& x, int64_t heads) const {
    return x.view({x.size(0), x.size(1), heads, config_.head_dim}).transpose(1, 2);
  }

  at::Tensor attention(const std::string& a, const BlockWeights& w, const at::Tensor& x,
                       const ForwardContext& ctx) const {
    const int64_t hq = config_.num_attention_heads, hkv = config_.num_key_value_heads;
    at::Tensor q = project(w, ctx, a + "q_proj", x);
    at::Tensor k = project(w, ctx, a + "k_proj", x);
    at::Tensor v = project(w, ctx, a + "v_proj", x);
    q = q.view({x.size(0), x.size(1), hq, config_.head_dim});
    k = k.view({x.size(0), x.size(1), hkv, config_.head_dim});
    if (qk_norm_) {  // Qwen3 normalises each head before the rotation
      q = rms_norm(q, w.get(a + "q_norm.weight"), config_.rms_norm_eps);
      k = rms_norm(k, w.get(a + "k_norm.weight"), config_.rms_norm_eps);
    }
    q = apply_rope(q.transpose(1, 2), ctx.rope);
    k = apply_rope(k.transpose(1, 2), ctx.rope);
    at::Tensor o = grouped_attention(q, k, split_heads(v, hkv), ctx.mask);
    o = o.transpose(1, 2).reshape({x.size(0), x.size(1), hq * config_.head_dim});
    return project(w, ctx, a + "o_proj", o);
  }

  bool qk_norm_ = false, qkv_bias_ = false, o_bias_ = false, mlp_bias_ = false;
  bool moe_ = false, norm_topk_prob_ = false;
  int64_t num_experts_ = 0, top_k_ = 0;
};

}  // namespace

std::unique_ptr<Architecture> make_llama_family(const ModelConfig& config) {
  if (config.intermediate_size <= 0) fail(config.path, "missing field 'intermediate_size'");
  const std::string& rope = config.rope.type;
  if (rope != "default" && rope != "linear" && rope != "llama3")
    fail(config.path, "unsupported rope scaling type '" + rope + "' (supported: default, linear, llama3)");
  if (config.head_dim % 2 != 0) fail(config.path, "head_dim must be even for rotary embeddings");
  if (config.architecture == "Qwen3MoeForCausalLM") {
    const auto positive = [&](const char* key) {
      auto it = config.raw.find(key);
      if (it == config.raw.end() || !it->is_number_integer() || it->get<int64_t>() <= 0)
        fail(config.path, std::string("field '") + key + "' must be a positive integer");
      return it->get<int64_t>();
    };
    const int64_t experts = num_routed_experts(config);
    if (experts <= 0) fail(config.path, "field 'num_experts' must be a positive integer");
    if (positive("num_experts_per_tok") > experts) fail(config.path, "num_experts_per_tok exceeds num_experts");
    positive("moe_intermediate_size");
    if (auto it = config.raw.find("norm_topk_prob"); it != config.raw.end() && !it->is_boolean())
      fail(config.path, "field 'norm_topk_prob' must be true or false");
  }
  return std::make_unique<LlamaFamily>(config);
}

}  // namespace arecipe
