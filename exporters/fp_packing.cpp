#include "exporters/fp_packing.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "schemes/qdq/group_reshape.h"

namespace arecipe::exporters {

uint8_t float_to_e4m3fn(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  const uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80);
  const float a = std::fabs(x);
  if (std::isnan(a)) return sign | 0x7f;
  // Largest finite e4m3fn is 448; above the tie at 464 torch rounds to NaN.
  if (a > 464.0f) return sign | 0x7f;
  if (a == 0.0f) return sign;
  int e;
  std::frexp(a, &e);  // a = m·2^e, m in [0.5, 1): unbiased exponent e-1
  int exp = e - 1;
  if (exp < -6) exp = -6;  // subnormal range shares the 2^-9 quantum
  const float quantum = std::ldexp(1.0f, exp - 3);
  const float q = std::nearbyint(a / quantum);  // exact scaling; half to even (default mode)
  // q·quantum is the rounded magnitude; re-derive the fields from it.
  const float r = q * quantum;  // ≤ 448 here
  if (r < std::ldexp(1.0f, -6)) return sign | static_cast<uint8_t>(std::lround(r / std::ldexp(1.0f, -9)));
  int re;
  const float m = std::frexp(r, &re);  // r = m·2^re
  const int biased = (re - 1) + 7;
  const int mant = static_cast<int>(std::lround((m * 2.0f - 1.0f) * 8.0f));
  return sign | static_cast<uint8_t>((biased << 3) | mant);
}

at::Tensor encode_e4m3fn(const at::Tensor& x) {
  at::Tensor f = x.detach().to(at::kCPU).to(at::kFloat).contiguous();
  at::Tensor out = at::empty(f.sizes(), at::kByte);
  const float* src = f.data_ptr<float>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  for (int64_t i = 0, n = f.numel(); i < n; ++i) dst[i] = float_to_e4m3fn(src[i]);
  return out;
}

at::Tensor pack_fp4_to_uint8(const at::Tensor& x) {
  if (x.dim() != 2 || x.size(1) % 2 != 0) throw std::invalid_argument("pack_fp4_to_uint8 needs [N, even K]");
  static const float kE2M1[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
  at::Tensor table = at::from_blob(const_cast<float*>(kE2M1), {8}, at::kFloat).to(x.scalar_type());
  at::Tensor diff = (x.abs().unsqueeze(-1) - table).abs();
  at::Tensor idx = at::argmin(diff, -1) + at::signbit(x).to(at::kLong) * 8;
  idx = idx.reshape({-1, 2});
  at::Tensor packed = at::bitwise_or(idx.select(1, 0), idx.select(1, 1) * 16).to(at::kByte);
  return packed.reshape({x.size(0), x.size(1) / 2});
}

PackedFpLayer pack_mx(const at::Tensor& fake_quant, const at::Tensor& shared_exp, int bits, int64_t group_size) {
  const qdq::Grouped g = qdq::group_rows(fake_quant, group_size);
  at::Tensor e = shared_exp.to(at::kFloat).reshape({g.data.size(0), -1});
  at::Tensor scaled = qdq::ungroup_rows(g.data / at::pow(2.0, e), g);  // exact: powers of two
  PackedFpLayer p;
  p.scale = at::clamp(shared_exp.to(at::kFloat) + 127, 0, 255).to(at::kByte);
  if (bits == 8) {
    p.weight = encode_e4m3fn(scaled);
    p.weight_is_fp8 = true;
  } else if (bits == 4) {
    p.weight = pack_fp4_to_uint8(scaled.to(at::kFloat));
  } else {
    throw std::invalid_argument("MX export packs 4 or 8 bits");
  }
  return p;
}

namespace {
at::Tensor reciprocal_or_zero(const at::Tensor& x) { return at::where(x == 0, at::zeros_like(x), 1.0 / x); }

// fp4 cast as nvfp.py cast_to_fp4 (no STE needed here).
at::Tensor cast_to_fp4_values(const at::Tensor& x) {
  at::Tensor sign = at::sign(x);
  at::Tensor a = x.abs();
  at::Tensor below2 = a < 2.0, below4 = a < 4.0;
  at::Tensor r = (a * 2.0).round() / 2.0 * below2 + a.round() * at::logical_not(below2) * below4 +
                 (a / 2.0).round() * 2.0 * at::logical_not(below2) * at::logical_not(below4);
  return at::clamp(r, -6.0, 6.0) * sign;
}
}  // namespace

PackedFpLayer pack_nvfp4(const at::Tensor& fake_quant, const at::Tensor& block_scale,
                         const at::Tensor& global_scale, int64_t group_size) {
  const qdq::Grouped g = qdq::group_rows(fake_quant, group_size);
  at::Tensor gs = global_scale.to(at::kFloat).reshape({1});
  at::Tensor s = block_scale.to(at::kFloat).reshape({g.data.size(0), -1});
  at::Tensor scaled = g.data.to(at::kFloat) * reciprocal_or_zero(s * reciprocal_or_zero(gs));
  scaled = cast_to_fp4_values(at::clamp(scaled, -6.0, 6.0));
  PackedFpLayer p;
  p.weight = pack_fp4_to_uint8(qdq::ungroup_rows(scaled, g));
  p.scale = encode_e4m3fn(block_scale);
  p.scale_is_fp8 = true;
  p.global_scale = gs.clone();
  return p;
}

PackedFpLayer pack_fp8(const at::Tensor& fake_quant, const at::Tensor& scale, int64_t group_size,
                       int64_t group_rows) {
  const at::ScalarType model = fake_quant.scalar_type();
  at::Tensor q;
  PackedFpLayer p;
  if (group_rows > 0) {
    // weight / scale in the weight's dtype (both are), as upstream's pack_layer.
    const int64_t n = fake_quant.size(0), k = fake_quant.size(1), cols = group_size, rows = group_rows;
    const int64_t mb = (n + rows - 1) / rows, nb = (k + cols - 1) / cols;
    at::Tensor blocks = at::constant_pad_nd(fake_quant, {0, nb * cols - k, 0, mb * rows - n}, 0)
                            .view({mb, rows, nb, cols})
                            .permute({0, 2, 1, 3});
    at::ScalarType work = at::promote_types(model, scale.scalar_type());
    at::Tensor s4 = scale.to(at::kFloat).unsqueeze(-1).unsqueeze(-1);
    q = (blocks.to(at::kFloat) / s4).to(work).to(at::kFloat);
    q = q.permute({0, 2, 1, 3}).reshape({mb * rows, nb * cols}).narrow(0, 0, n).narrow(1, 0, k);
    p.scale = scale.to(model);  // weight_scale_inv [Mb, Nb]
  } else {
    const qdq::Grouped g = qdq::group_rows(fake_quant, group_size);
    at::Tensor s = scale.to(at::kFloat).reshape({-1}).unsqueeze(-1);
    q = qdq::ungroup_rows(g.data.to(at::kFloat) / s, g);  // weight dtype / fp32 → fp32
    p.scale = scale.reshape({-1}).to(model);               // weight_scale [groups]
  }
  q = at::clamp(q, -448.0, 448.0);
  p.weight = encode_e4m3fn(q);
  p.weight_is_fp8 = true;
  return p;
}

}  // namespace arecipe::exporters
