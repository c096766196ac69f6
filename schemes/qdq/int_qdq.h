// Integer weight quantize-dequantize, bit-identical to auto-round's
// data_type/int.py: full-range symmetric (rtn_int_sym / int_sym: signed scale, codes
// use the whole [-2^(b-1), 2^(b-1)-1] grid) and asymmetric (int_asym).
//
// One function serves RTN and the SignRound tuner: the tuning tensors in
// IntTuning are optional and their absence reproduces upstream's RTN exactly.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace arecipe::qdq {

struct IntSpec {
  int bits = 4;              // 2..8
  int64_t group_size = 128;  // -1: per output row
  bool sym = true;
  // Upstream casts the scale to scale_dtype (fp16 by default, fp32 for GGUF) inside
  // the qdq, so tuning sees fp16 rounding of the scale.
  at::ScalarType scale_dtype = at::kHalf;
  // |scale| floor; upstream uses 1e-5, or 1e-8 when scale_dtype is fp32.
  double q_scale_thresh = 1e-5;
};

// SignRound's trainable tensors (spec 1.4); leave undefined for RTN.
struct IntTuning {
  at::Tensor v;          // rounding offsets, shape of the grouped weight [N*G, g]
  at::Tensor min_scale;  // α per group [N*G]
  at::Tensor max_scale;  // β per group [N*G]
  // Group min/max of the ORIGINAL weight (spec 13.2): computed once by the tuner and
  // passed on every step; undefined → computed from `w` here.
  at::Tensor weight_min, weight_max;  // [N*G]
};

struct IntQdq {
  at::Tensor qdq;    // fake-quantized weight, shape and dtype of the input
  at::Tensor codes;  // int32 [N, K] stored codes in [0, 2^b-1] (sym: q + 2^(b-1))
  at::Tensor scale;  // scale_dtype [N, G] (sym: may be negative)
  at::Tensor zp;     // int32 [N, G]; sym: 2^(b-1) everywhere
  // Upstream's own zero-point object, needed to reproduce its packing bit for bit:
  // asym → fp32 [N, G] (integer-valued), sym → undefined (upstream returns the int).
  at::Tensor zp_float;
};

// w: [N, K] (or any shape; the last dim is the input dim), any float dtype. The math
// runs in the dtypes upstream's ops promote to (fp32 for fp32/bf16/fp16 weights with
// an fp16 scale), so results match for every weight dtype.
IntQdq qdq_int(const at::Tensor& w, const IntSpec& spec, const IntTuning& tuning = {});

// Scale and zero point only (the per-group statistics part of qdq_int), for callers
// that then apply them to other tensors, e.g. opt-RTN's search result.
// Returns {scale [N*G] in scale_dtype, zp [N*G] fp32 (asym) or undefined (sym)}.
std::pair<at::Tensor, at::Tensor> int_scale_zp(const at::Tensor& grouped, const IntSpec& spec,
                                               const IntTuning& tuning);

}  // namespace arecipe::qdq
