// DeepSeek-V3 / R1 (DeepseekV3ForCausalLM), following transformers' modeling_deepseek_v3:
//   attention: multi-head latent attention. q = q_b(RMSNorm(q_a(x))) when q_lora_rank is
//     set, else q_proj(x); kv_a_proj_with_mqa(x) = [latent (kv_lora_rank) | shared rope
//     key (qk_rope_head_dim)]; kv_b(RMSNorm(latent)) = per head [k_nope | v]. Only the
//     qk_rope_head_dim part of q and k is rotated (interleaved pairs unless
//     rope_interleave is false); softmax scale (nope+rope)^-0.5, times yarn's
//     mscale(factor, mscale_all_dim)^2 when the rope is scaled.
//   MLP: blocks < first_k_dense_replace dense; the others a sigmoid router with
//     correction bias and grouped top-k (moe.h) over routed experts, plus shared
//     experts (one MLP of width moe_intermediate_size * n_shared_experts) on every token.
#include <ATen/ATen.h>

#include "engine/model/architecture.h"
#include "engine/model/moe.h"
#include "engine/util/error.h"

namespace arecipe {

namespace {

// DeepseekV3RMSNorm's default: the q_a / kv_a layernorms are built without
// config.rms_norm_eps, so they always use 1e-6.
constexpr double kLatentNormEps = 1e-6;

struct MlaDims {
  int64_t heads = 0, q_rank = 0, kv_rank = 0, nope = 0, rope = 0, v = 0;
  int64_t qk() const { return nope + rope; }
};

class DeepseekV3 final : public Architecture {
 public:
  DeepseekV3(const ModelConfig& c, MlaDims d, GroupedTopK routing, int64_t experts, int64_t shared,
             bool interleave, double softmax_scale)
      : Architecture(c),
        d_(d),
        routing_(routing),
        experts_(experts),
        shared_(shared),
        interleave_(interleave),
        softmax_scale_(softmax_scale) {}

  std::vector<std::string> block_tensor_names(int b) const override {
    std::vector<std::string> n;
    for (const auto& [name, shape] : block_tensor_shapes(b)) n.push_back(name);
    return n;
  }

  std::vector<std::pair<std::string, std::vector<int64_t>>> block_tensor_shapes(int b) const override {
    const std::string p = prefix(b), a = p + "self_attn.";
    const int64_t h = config_.hidden_size;
    const bool bias = config_.attention_bias;
    std::vector<std::pair<std::string, std::vector<int64_t>>> n = {{p + "input_layernorm.weight", {h}},
                                                                   {p + "post_attention_layernorm.weight", {h}}};
    if (d_.q_rank > 0) {
      n.push_back({a + "q_a_proj.weight", {d_.q_rank, h}});
      if (bias) n.push_back({a + "q_a_proj.bias", {d_.q_rank}});
      n.push_back({a + "q_a_layernorm.weight", {d_.q_rank}});
      n.push_back({a + "q_b_proj.weight", {d_.heads * d_.qk(), d_.q_rank}});
    } else {
      n.push_back({a + "q_proj.weight", {d_.heads * d_.qk(), h}});
    }
    n.push_back({a + "kv_a_proj_with_mqa.weight", {d_.kv_rank + d_.rope, h}});
    if (bias) n.push_back({a + "kv_a_proj_with_mqa.bias", {d_.kv_rank + d_.rope}});
    n.push_back({a + "kv_a_layernorm.weight", {d_.kv_rank}});
    n.push_back({a + "kv_b_proj.weight", {d_.heads * (d_.nope + d_.v), d_.kv_rank}});
    n.push_back({a + "o_proj.weight", {h, d_.heads * d_.v}});
    if (bias) n.push_back({a + "o_proj.bias", {h}});
    if (!is_moe_block(config_, b)) {
      add_mlp(n, p + "mlp.", config_.intermediate_size);
      return n;
    }
    n.push_back({p + "mlp.gate.weight", {experts_, h}});
    n.push_back({p + "mlp.gate.e_score_correction_bias", {experts_}});
    const int64_t f = moe_width();
    for (int64_t e = 0; e < experts_; ++e) add_mlp(n, expert(p, e), f);
    if (shared_ > 0) add_mlp(n, p + "mlp.shared_experts.", f * shared_);
    return n;
  }

  ForwardContext make_context(int64_t seq_len) const override {
    return {rope_tables(config_.rope, d_.rope, seq_len), causal_mask(seq_len, std::nullopt)};
  }

  at::Tensor block_forward(int b, const BlockWeights& w, const at::Tensor& hidden,
                           const ForwardContext& ctx) const override {
    if (is_moe_block(config_, b)) return moe_block_forward(*this, b, w, hidden, ctx);
    const at::Tensor h = attention_residual(b, w, hidden, ctx);
    return h + mlp(prefix(b) + "mlp.", w, mlp_input(b, w, h), ctx);
  }

  int64_t routed_experts(int b) const override { return is_moe_block(config_, b) ? experts_ : 0; }
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
  // DeepseekV3TopkRouter computes its logits in fp32 whatever the activations are.
  Routing route(int b, const BlockWeights& w, const at::Tensor& x, const ForwardContext& ctx) const override {
    const std::string gate = prefix(b) + "mlp.gate";
    if (ctx.observe_linear_input) ctx.observe_linear_input(gate, x);
    at::Tensor logits = at::linear(x.to(at::kFloat), w.get(gate + ".weight").to(at::kFloat));
    return grouped_sigmoid_routing(logits, w.get(gate + ".e_score_correction_bias").to(at::kFloat), routing_);
  }
  at::Tensor expert_forward(int b, int64_t e, const BlockWeights& w, const at::Tensor& x,
                            const ForwardContext& ctx) const override {
    return mlp(expert(prefix(b), e), w, x, ctx);
  }
  at::Tensor shared_experts(int b, const BlockWeights& w, const at::Tensor& x,
                            const ForwardContext& ctx) const override {
    return shared_ > 0 ? mlp(prefix(b) + "mlp.shared_experts.", w, x, ctx) : at::Tensor();
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
  int64_t moe_width() const { return config_.raw.at("moe_intermediate_size").get<int64_t>(); }

  void add_mlp(std::vector<std::pair<std::string, std::vector<int64_t>>>& n, const std::string& m, int64_t f) const {
    const int64_t h = config_.hidden_size;
    n.push_back({m + "gate_proj.weight", {f, h}});
    n.push_back({m + "up_proj.weight", {f, h}});
    n.push_back({m + "down_proj.weight", {h, f}});
  }

  at::Tensor mlp(const std::string& m, const BlockWeights& w, const at::Tensor& x, const ForwardContext& ctx) const {
    at::Tensor g = swiglu(project(w, ctx, m + "gate_proj", x), project(w, ctx, m + "up_proj", x));
    return project(w, ctx, m + "down_proj", g);
  }

  at::Tensor rotate(const at::Tensor& x, const ForwardContext& ctx) const {
    return interleave_ ? apply_rope_interleaved(x, ctx.rope) : apply_rope(x, ctx.rope);
  }

  at::Tensor attention(const std::string& a, const BlockWeights& w, const at::Tensor& x,
                       const ForwardContext& ctx) const {
    const int64_t B = x.size(0), T = x.size(1), H = d_.heads;
    at::Tensor q = d_.q_rank > 0
                       ? project(w, ctx, a + "q_b_proj",
                                 rms_norm(project(w, ctx, a + "q_a_proj", x), w.get(a + "q_a_layernorm.weight"),
                                          kLatentNormEps))
                       : project(w, ctx, a + "q_proj", x);
    q = q.view({B, T, H, d_.qk()}).transpose(1, 2);  // [B, H, T, nope+rope]
    at::Tensor q_pass = q.narrow(-1, 0, d_.nope), q_rot = q.narrow(-1, d_.nope, d_.rope);

    at::Tensor compressed = project(w, ctx, a + "kv_a_proj_with_mqa", x);  // [B, T, kv_rank + rope]
    at::Tensor latent = rms_norm(compressed.narrow(-1, 0, d_.kv_rank), w.get(a + "kv_a_layernorm.weight"),
                                 kLatentNormEps);
    at::Tensor k_rot = compressed.narrow(-1, d_.kv_rank, d_.rope).reshape({B, 1, T, d_.rope});

    q = at::cat({q_pass, rotate(q_rot, ctx)}, -1);
    k_rot = rotate(k_rot, ctx);

    at::Tensor kv = project(w, ctx, a + "kv_b_proj", latent).view({B, T, H, d_.nope + d_.v}).transpose(1, 2);
    at::Tensor k = at::cat({kv.narrow(-1, 0, d_.nope), k_rot.expand({B, H, T, d_.rope})}, -1);
    at::Tensor v = kv.narrow(-1, d_.nope, d_.v);
    at::Tensor o = grouped_attention(q, k, v, ctx.mask, softmax_scale_);  // [B, H, T, v]
    o = o.transpose(1, 2).reshape({B, T, H * d_.v});
    return project(w, ctx, a + "o_proj", o);
  }

  MlaDims d_;
  GroupedTopK routing_;
  int64_t experts_ = 0, shared_ = 0;
  bool interleave_ = true;
  double softmax_scale_ = 1.0;
};

struct Fields {
  const ModelConfig& c;
  int64_t integer(const char* key, int64_t fallback, int64_t min) const {
    auto it = c.raw.find(key);
    if (it == c.raw.end() || it->is_null()) {
      if (fallback < min) fail(c.path, std::string("missing field '") + key + "'");
      return fallback;
    }
    if (!it->is_number_integer() || it->get<int64_t>() < min)
      fail(c.path, std::string("field '") + key + "' must be an integer >= " + std::to_string(min));
    return it->get<int64_t>();
  }
  double number(const char* key, double fallback) const {
    auto it = c.raw.find(key);
    if (it == c.raw.end() || it->is_null()) return fallback;
    if (!it->is_number()) fail(c.path, std::string("field '") + key + "' must be a number");
    return it->get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    auto it = c.raw.find(key);
    if (it == c.raw.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(c.path, std::string("field '") + key + "' must be true or false");
    return it->get<bool>();
  }
  std::string string(const char* key) const {
    auto it = c.raw.find(key);
    if (it == c.raw.end() || it->is_null()) return "";
    if (!it->is_string()) fail(c.path, std::string("field '") + key + "' must be a string");
    return it->get<std::string>();
  }
};

}  // namespace

std::unique_ptr<Architecture> make_deepseek_v3(const ModelConfig& c) {
  const Fields f{c};
  MlaDims d;
  d.heads = c.num_attention_heads;
  d.q_rank = f.integer("q_lora_rank", 0, 0);  // 0 / null: plain q_proj (DeepSeek-V2-Lite style)
  d.kv_rank = f.integer("kv_lora_rank", 0, 1);
  d.nope = f.integer("qk_nope_head_dim", 0, 1);
  d.rope = f.integer("qk_rope_head_dim", 0, 1);
  d.v = f.integer("v_head_dim", 0, 1);
  if (d.rope % 2 != 0) fail(c.path, "qk_rope_head_dim must be even for rotary embeddings");
  // kv_b_proj expands the latent to every head: transformers' repeat_kv would break on
  // any other head count, so a config that says otherwise is not a model it can run.
  if (c.num_key_value_heads != c.num_attention_heads)
    fail(c.path, "num_key_value_heads must equal num_attention_heads for multi-head latent attention");
  if (c.intermediate_size <= 0) fail(c.path, "missing field 'intermediate_size'");
  const std::string& rope = c.rope.type;
  if (rope != "default" && rope != "linear" && rope != "llama3" && rope != "yarn")
    fail(c.path, "unsupported rope scaling type '" + rope + "' (supported: default, linear, llama3, yarn)");
  if (const std::string s = f.string("scoring_func"); !s.empty() && s != "sigmoid")
    fail(c.path, "scoring_func '" + s + "' is not supported (DeepSeek-V3 routes with 'sigmoid')");
  if (const std::string s = f.string("topk_method"); !s.empty() && s != "noaux_tc")
    fail(c.path, "topk_method '" + s + "' is not supported (DeepSeek-V3 uses 'noaux_tc')");

  const int64_t experts = num_routed_experts(c);
  const int64_t shared = f.integer("n_shared_experts", 0, 0);
  GroupedTopK g;
  if (experts > 0) {
    f.integer("moe_intermediate_size", 0, 1);
    // Routing fields are required: transformers would fill the 671B model's values
    // (8 groups, 2.5, ...) into a config that lacks them, which is rarely what a
    // checkpoint missing them means.
    g.top_k = f.integer("num_experts_per_tok", 0, 1);
    g.n_group = f.integer("n_group", 0, 1);
    g.topk_group = f.integer("topk_group", 0, 1);
    g.norm_topk_prob = f.boolean("norm_topk_prob", true);
    g.routed_scaling_factor = f.number("routed_scaling_factor", -1.0);
    if (g.routed_scaling_factor <= 0) fail(c.path, "field 'routed_scaling_factor' must be a positive number");
    if (experts % g.n_group != 0) fail(c.path, "n_routed_experts must be a multiple of n_group");
    if (experts / g.n_group < 2) fail(c.path, "each expert group needs at least 2 experts (group score = top-2 sum)");
    if (g.topk_group > g.n_group) fail(c.path, "topk_group exceeds n_group");
    if (g.top_k > g.topk_group * (experts / g.n_group))
      fail(c.path, "num_experts_per_tok exceeds the experts of the topk_group selected groups");
  }
  // yarn_apply_mscale: any scaled rope with mscale_all_dim set scales the softmax.
  double scale = 1.0 / std::sqrt(static_cast<double>(d.qk()));
  if (rope != "default" && c.rope.mscale_all_dim != 0) {
    const double m = yarn_mscale(c.rope.factor, c.rope.mscale_all_dim);
    scale *= m * m;
  }
  return std::make_unique<DeepseekV3>(c, d, g, experts, shared, f.boolean("rope_interleave", true), scale);
}

}  // namespace arecipe
