#include "engine/tune/gguf_layer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "engine/util/error.h"
#include "engine/util/torch_compat.h"
#include "schemes/ggml/codec.h"
#include "schemes/ggml/codes.h"

namespace arecipe::tune {

GgufFixedScales GgufFixedScales::encode(ggml::Type type, const at::Tensor& weight, const std::vector<float>& importance) {
  NoGradGuard no_grad;
  const at::Tensor w = weight.detach().to(at::kFloat).contiguous();
  if (w.dim() != 2) throw Error("tuned GGUF: expected a 2-D weight");
  GgufFixedScales g;
  g.type_ = type;
  g.rows_ = w.size(0);
  g.cols_ = w.size(1);
  const ggml::CodeLayout l = ggml::code_layout(type);
  g.group_ = l.group;
  g.lo_ = l.lo;
  g.hi_ = l.hi;
  if (!importance.empty() && static_cast<int64_t>(importance.size()) != g.cols_)
    throw Error("tuned GGUF: importance has " + std::to_string(importance.size()) + " values for rows of " +
                std::to_string(g.cols_));
  const size_t rb = ggml::row_bytes(type, g.cols_);  // throws for rows that are not whole blocks
  g.rtn_bytes_.resize(rb * static_cast<size_t>(g.rows_));
  const int64_t groups = g.cols_ / g.group_;
  at::Tensor scale = at::empty({g.rows_, groups}, at::kFloat), offset = at::empty({g.rows_, groups}, at::kFloat);
  std::vector<int8_t> codes(static_cast<size_t>(g.rows_ * g.cols_));
  const float* x = w.data_ptr<float>();
  const float* imp = importance.empty() ? nullptr : importance.data();
  // Rows are independent: the bytes do not depend on the split.
  at::parallel_for(0, g.rows_, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      uint8_t* row = g.rtn_bytes_.data() + rb * static_cast<size_t>(r);
      ggml::quantize_row(type, x + r * g.cols_, g.cols_, imp, row);
      ggml::decode_codes(type, row, g.cols_, scale.data_ptr<float>() + r * groups, offset.data_ptr<float>() + r * groups,
                         codes.data() + r * g.cols_);
    }
  });
  g.scale_ = scale.unsqueeze(-1);
  g.offset_ = offset.unsqueeze(-1);
  const at::Tensor rtn = at::from_blob(codes.data(), {g.rows_, groups, g.group_}, at::kChar).to(at::kFloat);
  const at::Tensor grouped = w.view({g.rows_, groups, g.group_});
  const at::Tensor zero = g.scale_ == 0;
  g.r_ = at::where(zero, at::zeros_like(grouped), (grouped - g.offset_) / at::where(zero, at::ones_like(g.scale_), g.scale_));
  g.base_ = rtn - at::round(g.r_);
  return g;
}

at::Tensor GgufFixedScales::codes(const at::Tensor& v) const {
  const at::Tensor z = r_ + v.view({rows_, cols_ / group_, group_});
  const at::Tensor rounded = z + (at::round(z) - z).detach();  // straight-through round
  return at::clamp(base_ + rounded, lo_, hi_);
}

at::Tensor GgufFixedScales::fake_quant(const at::Tensor& v) const {
  return (codes(v) * scale_ + offset_).view({rows_, cols_});
}

std::vector<uint8_t> GgufFixedScales::bytes(const at::Tensor& v) const {
  NoGradGuard no_grad;
  const at::Tensor c = codes(v.detach()).to(at::kChar).contiguous();
  const int8_t* cp = c.data_ptr<int8_t>();
  const size_t rb = ggml::row_bytes(type_, cols_);
  std::vector<uint8_t> out(rtn_bytes_.size());
  at::parallel_for(0, rows_, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r)
      ggml::repack_codes(type_, rtn_bytes_.data() + rb * r, cols_, cp + r * cols_, out.data() + rb * r);
  });
  return out;
}

}  // namespace arecipe::tune
