#include "engine/tune/moe_stream.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <map>

#include "engine/model/moe.h"
#include "engine/tune/tunable_layer.h"
#include "engine/util/error.h"
#include "engine/util/progress.h"
#include "engine/util/torch_compat.h"
#include "exporters/layer_quantize.h"

namespace arecipe::tune {
namespace {

using Layers = std::vector<exporters::QuantizedLayer>;

// f over every sample of x, `batch` samples at a time, without autograd.
at::Tensor batched(const at::Tensor& x, int64_t batch, const std::function<at::Tensor(const at::Tensor&)>& f) {
  NoGradGuard no_grad;
  std::vector<at::Tensor> outs;
  for (int64_t s = 0; s < x.size(0); s += batch) outs.push_back(f(x.slice(0, s, std::min(s + batch, x.size(0)))));
  return at::cat(outs, 0);
}

// The block's layers by part: 0 attention (and anything else outside the MLP), 1 + e
// routed expert e, 1 + E the shared experts. The router is apart: it is never tuned.
struct Parts {
  std::vector<std::vector<const exporters::LayerDecision*>> layers;
  const exporters::LayerDecision* router = nullptr;
};

Parts split_parts(const MoeStreamJob& job, int64_t experts) {
  const Architecture& arch = job.model->arch();
  std::map<std::string, int64_t> expert_of;
  for (int64_t e = 0; e < experts; ++e) expert_of[arch.expert_prefix(job.block, e)] = e;
  Parts p;
  p.layers.resize(static_cast<size_t>(experts) + 2);
  for (const LayerInfo& l : job.model->inventory().layers) {
    if (l.block != job.block) continue;
    const exporters::LayerDecision* d = job.decision(l.name);
    if (!d) continue;
    switch (l.role) {
      case Role::router: p.router = d; break;
      case Role::shared_gate: case Role::shared_up: case Role::shared_down: p.layers.back().push_back(d); break;
      case Role::expert_gate: case Role::expert_up: case Role::expert_down: {
        auto it = expert_of.find(l.name.substr(0, l.name.rfind('.') + 1));
        if (it == expert_of.end()) throw Error(l.name + ": not a routed expert of block " + std::to_string(job.block));
        p.layers[static_cast<size_t>(it->second) + 1].push_back(d);
        break;
      }
      default: p.layers.front().push_back(d);
    }
  }
  return p;
}

class BlockStreamer {
 public:
  explicit BlockStreamer(const MoeStreamJob& job)
      : job_(job), arch_(job.model->arch()), s_(*job.settings), b_(job.block), experts_(arch_.routed_experts(b_)),
        parts_(split_parts(job, experts_)),
        bar_("block " + std::to_string(b_ + 1) + "/" + std::to_string(job.model->num_blocks()) + " (streamed)",
             job.replay ? 0 : static_cast<int64_t>(s_.iters) * (experts_ + 2), job.show_progress) {}

  MoeStreamResult run() {
    MoeStreamResult r;
    const BlockWeights& base = *job_.base;
    // The FP block: its residual stream after attention is also attention's target.
    const at::Tensor h_fp = batched(job_.x_fp, job_.forward_batch, [&](const at::Tensor& x) {
      return arch_.attention_residual(b_, base, x, *job_.ctx);
    });
    r.fp_out = fp_block_output(base, h_fp);

    // 1. Attention on the residual stream.
    Layers attention = finish_part(0, base, [&](const BlockWeights& w, const at::Tensor& idx) {
      const at::Tensor pred = arch_.attention_residual(b_, w, job_.x_in.index_select(0, idx), *job_.ctx);
      const at::Tensor m = job_.loss_mask.index_select(0, idx).unsqueeze(-1);
      return pred * m - h_fp.index_select(0, idx) * m;
    }, sample_positions(), r);
    if (parts_.router) attention.push_back(router_rtn(*parts_.router, base));
    job_.emit(attention);
    r.layers += static_cast<int>(attention.size());
    const BlockWeights base_q = with_weights(base, attention);

    // The quantized chain up to the experts, and its routing.
    const at::Tensor h_q = batched(job_.x_in, job_.forward_batch, [&](const at::Tensor& x) {
      return arch_.attention_residual(b_, base_q, x, *job_.ctx);
    });
    at::Tensor n_q, routed_q;
    Routing routing;
    {
      NoGradGuard no_grad;
      n_q = arch_.mlp_input(b_, base_q, h_q);
      const at::Tensor flat = n_q.reshape({-1, n_q.size(-1)});
      routing = arch_.route(b_, base_q, flat, *job_.ctx);
      routed_q = at::zeros_like(flat);
    }
    const at::Tensor counts = expert_token_counts(routing, experts_);

    // 2. Routed experts, one at a time.
    const int64_t seq = job_.x_in.size(1);
    for (int64_t e = 0; e < experts_; ++e) {
      const BlockWeights we = job_.model->load_expert(b_, e);
      const ExpertTokens t = expert_tokens(routing, e);
      const bool routed = counts.data_ptr<int64_t>()[e] > 0;
      if (!routed) ++r.experts_without_tokens;
      const at::Tensor x_e = n_q.reshape({-1, n_q.size(-1)}).index_select(0, t.token);  // its tokens' inputs
      at::Tensor target, sample, mask;
      if (routed && !job_.replay) {
        NoGradGuard no_grad;
        target = t.gate * arch_.expert_forward(b_, e, we, x_e, *job_.ctx);
        sample = at::div(t.token, seq, "floor");
        mask = job_.loss_mask.reshape({-1}).index_select(0, t.token).unsqueeze(-1);
      }
      Objective o;
      if (routed) {
        o.error = [&](const BlockWeights& w, const at::Tensor& idx) {
          const at::Tensor sel = at::isin(sample, idx).nonzero().squeeze(1);
          if (sel.numel() == 0) return at::Tensor(at::empty({0}));
          const at::Tensor pred = t.gate.index_select(0, sel) * arch_.expert_forward(b_, e, w, x_e.index_select(0, sel), *job_.ctx);
          const at::Tensor m = mask.index_select(0, sel);
          return pred * m - target.index_select(0, sel) * m;
        };
        o.valid = [&](const at::Tensor& idx) {
          return at::logical_and(at::isin(sample, idx), mask.squeeze(1).ne(0)).count_nonzero().item<double>();
        };
      }
      const Layers q = finish_part(e + 1, we, o.error, o.valid, r);
      job_.emit(q);
      r.layers += static_cast<int>(q.size());
      if (routed) {
        NoGradGuard no_grad;
        routed_q.index_add_(0, t.token, arch_.expert_forward(b_, e, with_weights(we, q), x_e, *job_.ctx) * t.gate);
      }
    }
    routed_q = routed_q.view(n_q.sizes());

    // 3. Shared experts on what the block's output still misses.
    at::Tensor shared_target;
    if (!job_.replay) {
      NoGradGuard no_grad;
      shared_target = r.fp_out - h_q - routed_q;
    }
    const Layers shared = finish_part(experts_ + 1, base_q, [&](const BlockWeights& w, const at::Tensor& idx) {
      const at::Tensor pred = arch_.shared_experts(b_, w, n_q.index_select(0, idx), *job_.ctx);
      const at::Tensor m = job_.loss_mask.index_select(0, idx).unsqueeze(-1);
      return pred * m - shared_target.index_select(0, idx) * m;
    }, sample_positions(), r);
    job_.emit(shared);
    r.layers += static_cast<int>(shared.size());
    const at::Tensor shared_q = shared_output(with_weights(base_q, shared), n_q);
    r.q_out = h_q + (shared_q.defined() ? routed_q + shared_q : routed_q);
    bar_.finish();
    return r;
  }

 private:
  using Error_ = std::function<at::Tensor(const BlockWeights& w, const at::Tensor& idx)>;
  using Valid = std::function<double(const at::Tensor& idx)>;
  struct Objective {
    Error_ error;
    Valid valid;
  };

  Valid sample_positions() const {
    return [this](const at::Tensor& idx) { return job_.loss_mask.index_select(0, idx).count_nonzero().item<double>(); };
  }

  // The FP block's output from its residual stream h after attention, routed experts
  // loaded one at a time.
  at::Tensor fp_block_output(const BlockWeights& base, const at::Tensor& h) const {
    NoGradGuard no_grad;
    const at::Tensor n = arch_.mlp_input(b_, base, h);
    const at::Tensor flat = n.reshape({-1, n.size(-1)});
    at::Tensor y = combine_experts(flat, arch_.route(b_, base, flat, *job_.ctx), experts_,
                                   [&](int64_t e, const at::Tensor& xe) {
                                     return arch_.expert_forward(b_, e, job_.model->load_expert(b_, e), xe, *job_.ctx);
                                   }).view(n.sizes());
    const at::Tensor shared = shared_output(base, n);
    return h + (shared.defined() ? y + shared : y);
  }

  // The shared experts over every sample, `forward_batch` at a time; undefined when the
  // block has none.
  at::Tensor shared_output(const BlockWeights& w, const at::Tensor& n) const {
    NoGradGuard no_grad;
    std::vector<at::Tensor> outs;
    for (int64_t s = 0; s < n.size(0); s += job_.forward_batch) {
      at::Tensor y = arch_.shared_experts(b_, w, n.slice(0, s, std::min(s + job_.forward_batch, n.size(0))), *job_.ctx);
      if (!y.defined()) return y;
      outs.push_back(y);
    }
    return at::cat(outs, 0);
  }

  // Part `part`'s final layers: tuned on `error` (or RTN when it has none: an expert no
  // token reached), or, when replaying, the saved ones. Saved for resume when tuned.
  Layers finish_part(int64_t part, const BlockWeights& fp, const Error_& error, const Valid& valid,
                     MoeStreamResult& r) {
    const auto& decisions = parts_.layers[static_cast<size_t>(part)];
    Layers out;
    if (job_.replay) {
      std::vector<std::string> names;
      for (const auto* d : decisions) names.push_back(d->name);
      out = job_.state->load_part(b_, static_cast<int>(part), names);
      for (size_t i = 0; i < out.size(); ++i) {
        out[i].scheme = decisions[i]->scheme;
        out[i].in_block = true;
        out[i].bias = job_.bias_of(decisions[i]->name);
      }
      return out;
    }
    std::vector<TunableLayer> tunables;
    for (const auto* d : decisions) {
      const exporters::LayerScheme& sc = d->scheme;
      const at::Tensor w = fp.get(d->name + ".weight");
      if (!at::isfinite(w).all().item<bool>()) throw Error("weight of " + d->name + " contains NaN or Inf");
      tunables.push_back(TunableLayer::create(d->name, sc, w, fp.optional(d->name + ".bias"), s_.enable_minmax_tuning,
                                              s_.lr_for_bits(sc.bits), s_.minmax_lr_for_bits(sc.bits)));
    }
    if (!tunables.empty() && error) {
      TuneObjective o;
      const std::string label = part == 0          ? "attention"
                                : part <= experts_ ? "expert " + std::to_string(part - 1)
                                                   : "shared experts";
      o.what = "block " + std::to_string(b_) + " " + label;
      o.nsamples = job_.x_in.size(0);
      o.masked_error = [&](const at::Tensor& idx) {
        return error(with_layer_weights(fp, tunables, [](TunableLayer& l) { return l.fake_quant(); }), idx);
      };
      o.valid_positions = valid;
      const BlockTuneStats st = signround_tune(o, tunables, s_, job_.seed + static_cast<uint64_t>(part) * 1000003u,
                                               [&](int, double loss) { bar_.advance(1, label + " loss " + fmt(loss)); });
      r.rtn_loss += st.rtn_loss;
      r.best_loss += st.best_loss;
      spdlog::debug("{}: loss {:.3e} (RTN) -> {:.3e} (iter {})", o.what, st.rtn_loss, st.best_loss, st.best_iter);
    } else {
      bar_.advance(s_.iters);
    }
    for (TunableLayer& t : tunables) {
      exporters::QuantizedLayer q = t.finalize(true);
      q.bias = job_.bias_of(t.name);
      out.push_back(std::move(q));
    }
    job_.state->save_part(b_, static_cast<int>(part), out);
    return out;
  }

  // A quantized router stays RTN: routing is discrete, nothing tunes it.
  exporters::QuantizedLayer router_rtn(const exporters::LayerDecision& d, const BlockWeights& base) const {
    exporters::QuantizedLayer q =
        exporters::rtn_quantize_layer(d.name, d.scheme, base.get(d.name + ".weight"), true, at::Tensor());
    q.bias = job_.bias_of(d.name);
    return q;
  }

  static BlockWeights with_weights(const BlockWeights& w, const Layers& layers) {
    BlockWeights out = w;
    for (const auto& q : layers) out.set(q.name + ".weight", q.fake_quant.to(at::kFloat));
    return out;
  }

  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3e", v);
    return buf;
  }

  const MoeStreamJob& job_;
  const Architecture& arch_;
  const autoscheme::TuningSettings& s_;
  const int b_;
  const int64_t experts_;
  const Parts parts_;
  Progress bar_;
};

}  // namespace

MoeStreamResult stream_moe_block(const MoeStreamJob& job) {
  if (job.model->arch().routed_experts(job.block) == 0)
    throw Error("block " + std::to_string(job.block) + " has no routed experts to stream");
  return BlockStreamer(job).run();
}

}  // namespace arecipe::tune
