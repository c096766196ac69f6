#include "engine/model/layers.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/model/fused_attention.h"
#include "engine/model/fused_ops.h"

namespace arecipe {

at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  if (std::optional<at::Tensor> fused = fused_rms_norm(x, weight, eps)) return *fused;
  const auto in_type = x.scalar_type();
  at::Tensor h = x.to(at::kFloat);
  at::Tensor var = h.pow(2).mean(-1, /*keepdim=*/true);
  h = h * at::rsqrt(var + eps);
  return weight * h.to(in_type);
}

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up) {
  if (std::optional<at::Tensor> fused = fused_swiglu(gate, up)) return *fused;
  return at::silu(gate) * up;
}

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias) {
  return bias.defined() ? at::linear(x, w, bias) : at::linear(x, w);
}

double yarn_mscale(double scale, double mscale) {
  return scale <= 1 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

double rope_attention_factor(const RopeConfig& rope) {
  if (rope.type != "yarn") return 1.0;
  if (rope.attention_factor) return *rope.attention_factor;
  if (rope.mscale != 0 && rope.mscale_all_dim != 0)
    return yarn_mscale(rope.factor, rope.mscale) / yarn_mscale(rope.factor, rope.mscale_all_dim);
  return yarn_mscale(rope.factor, 1.0);
}

namespace {
// transformers' _compute_yarn_parameters: low frequencies interpolated (divided by
// factor), high ones extrapolated (kept), a linear ramp between the dimensions where
// the original context makes beta_fast and beta_slow rotations.
at::Tensor yarn_inv_freq(const RopeConfig& rope, int64_t dim) {
  const double base = rope.theta;
  const auto correction_dim = [&](double rotations) {
    return (dim * std::log(rope.original_max_position_embeddings / (rotations * 2 * M_PI))) / (2 * std::log(base));
  };
  double low = correction_dim(rope.beta_fast), high = correction_dim(rope.beta_slow);
  if (rope.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // as transformers: avoid a zero-width ramp
  at::Tensor pos_freqs = at::pow(base, at::arange(0, dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(dim));
  at::Tensor extrapolation = 1.0 / pos_freqs;
  at::Tensor interpolation = 1.0 / (rope.factor * pos_freqs);
  at::Tensor ramp = at::clamp((at::arange(dim / 2, at::kFloat) - low) / (high - low), 0, 1);
  at::Tensor extrapolation_factor = 1 - ramp;
  return interpolation * (1 - extrapolation_factor) + extrapolation * extrapolation_factor;
}
}  // namespace

at::Tensor rope_inv_freq(const RopeConfig& rope, int64_t head_dim) {
  if (rope.type == "yarn") return yarn_inv_freq(rope, head_dim);
  at::Tensor exponents = at::arange(0, head_dim, 2, at::kLong).to(at::kFloat) / static_cast<double>(head_dim);
  at::Tensor inv_freq = 1.0 / at::pow(rope.theta, exponents);
  if (rope.type == "linear") {
    inv_freq = inv_freq / rope.factor;
  } else if (rope.type == "llama3") {
    // Llama 3.1: keep high frequencies, divide low ones by `factor`, blend between.
    const double old_ctx = static_cast<double>(rope.original_max_position_embeddings);
    const double low_wavelen = old_ctx / rope.low_freq_factor;
    const double high_wavelen = old_ctx / rope.high_freq_factor;
    at::Tensor wavelen = 2.0 * M_PI / inv_freq;
    at::Tensor scaled = at::where(wavelen > low_wavelen, inv_freq / rope.factor, inv_freq);
    at::Tensor smooth =
        (old_ctx / wavelen - rope.low_freq_factor) / (rope.high_freq_factor - rope.low_freq_factor);
    at::Tensor smoothed = (1 - smooth) * scaled / rope.factor + smooth * scaled;
    at::Tensor medium = at::logical_not(wavelen < high_wavelen).logical_and(at::logical_not(wavelen > low_wavelen));
    inv_freq = at::where(medium, smoothed, scaled);
  }
  return inv_freq;
}

RopeTables rope_tables(const RopeConfig& rope, int64_t head_dim, int64_t seq_len) {
  at::Tensor inv_freq = rope_inv_freq(rope, head_dim);                 // [D/2]
  at::Tensor pos = at::arange(seq_len, at::kLong).to(at::kFloat);      // [T]
  at::Tensor freqs = at::outer(pos, inv_freq);                         // [T, D/2]
  at::Tensor emb = at::cat({freqs, freqs}, -1);                         // [T, D]
  const double factor = rope_attention_factor(rope);
  if (factor == 1.0) return {emb.cos(), emb.sin()};
  return {emb.cos() * factor, emb.sin() * factor};
}

namespace {
at::Tensor rotate_half(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}
}  // namespace

at::Tensor apply_rope(const at::Tensor& x, const RopeTables& t) {
  if (std::optional<at::Tensor> fused = fused_rope(x, t.cos, t.sin)) return *fused;
  return x * t.cos.to(x.scalar_type()) + rotate_half(x) * t.sin.to(x.scalar_type());
}

at::Tensor apply_rope_interleaved(const at::Tensor& x, const RopeTables& t) {
  const int64_t half = x.size(-1) / 2;
  at::Tensor cos = t.cos.narrow(-1, 0, half).to(x.scalar_type());  // tables are cat(freqs, freqs)
  at::Tensor sin = t.sin.narrow(-1, 0, half).to(x.scalar_type());
  using at::indexing::Slice;
  at::Tensor x1 = x.index({"...", Slice(0, at::indexing::None, 2)});
  at::Tensor x2 = x.index({"...", Slice(1, at::indexing::None, 2)});
  return at::cat({x1 * cos - x2 * sin, x2 * cos + x1 * sin}, -1);
}

at::Tensor causal_mask(int64_t seq_len, std::optional<int64_t> sliding_window) {
  at::Tensor i = at::arange(seq_len, at::kLong).unsqueeze(1);
  at::Tensor j = at::arange(seq_len, at::kLong).unsqueeze(0);
  at::Tensor allowed = j <= i;
  if (sliding_window) allowed = allowed.logical_and((i - j) < *sliding_window);
  at::Tensor mask = at::zeros({seq_len, seq_len}, at::kFloat);
  return mask.masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity());
}

at::Tensor grouped_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const at::Tensor& mask, std::optional<double> scale) {
  const double s = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  if (std::optional<at::Tensor> fused = fused_attention(q, k, v, mask, s)) return *fused;
  const int64_t groups = q.size(1) / k.size(1);
  at::Tensor kk = groups > 1 ? k.repeat_interleave(groups, 1) : k;
  at::Tensor vv = groups > 1 ? v.repeat_interleave(groups, 1) : v;
  at::Tensor scores = at::matmul(q, kk.transpose(-1, -2)) * s + mask;
  at::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs, vv);
}


}  // namespace arecipe
