// Tuned GGUF (spec 2.1 item 4, upstream's SignRoundDQWrapperLinear): a linear layer's
// GGUF type is fixed before tuning; llama.cpp's own quantizer (schemes/ggml, with the
// calibration imatrix) picks the scales, mins and super-scales once, and they stay
// frozen; SignRound tunes only the rounding offsets V of the codes. With V = 0 the codes
// are exactly llama.cpp's, so iteration 0 is llama.cpp's RTN-with-imatrix, byte for
// byte, and best-iteration selection can never do worse than it on the block loss.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "schemes/ggml/ggml_type.h"

namespace arecipe::tune {

class GgufFixedScales {
 public:
  // Encodes weight [N, K] (each row one GGUF row) with llama.cpp's quantizer for `type`
  // and the per-column `importance` (K values, or empty for its reference path).
  static GgufFixedScales encode(ggml::Type type, const at::Tensor& weight, const std::vector<float>& importance);

  // The weight the GGUF decoder will see for offsets v [N, K]: per element
  //   code = clamp(rtn_code + round_ste(r + v) - round(r), lo, hi),  r = (w - offset) / scale
  //   w_q  = scale * code + offset          (the decoder's fp32 operations)
  // differentiable w.r.t. v (straight-through round; clamp passes no gradient outside
  // the range). Writing the RTN code plus the change of rounding keeps v = 0 exactly
  // llama.cpp's codes, whichever rounding rule its encoder used for the type.
  at::Tensor fake_quant(const at::Tensor& v) const;
  // The encoded rows for offsets v: llama.cpp's bytes with the tuned codes substituted.
  std::vector<uint8_t> bytes(const at::Tensor& v) const;
  const std::vector<uint8_t>& rtn_bytes() const { return rtn_bytes_; }
  ggml::Type type() const { return type_; }
  const at::Tensor& scale() const { return scale_; }  // [N, K / group, 1]

 private:
  at::Tensor codes(const at::Tensor& v) const;  // [N, K / group, group]
  ggml::Type type_{};
  int64_t rows_ = 0, cols_ = 0, group_ = 0;
  int lo_ = 0, hi_ = 0;
  std::vector<uint8_t> rtn_bytes_;
  at::Tensor scale_, offset_;  // [N, G, 1]
  at::Tensor r_, base_;        // [N, G, group]: (w - offset) / scale (0 where scale is 0), rtn code - round(r)
};

}  // namespace arecipe::tune
