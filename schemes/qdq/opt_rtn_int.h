// Optimized RTN for full-range symmetric int (spec 3.2; upstream opt_rtn_int_sym and
// search_scales in data_type/int.py): per group, a grid of candidate scales around
// max|w|/2^(b-1), keep the one with the least imatrix-weighted squared error. No
// least-squares refit, no tuning offsets (upstream has none on this path).
#pragma once
#include <ATen/core/Tensor.h>

#include "schemes/qdq/int_qdq.h"

namespace arecipe::qdq {

// Scale search on grouped data [rows, g]; `weights` (same shape) or undefined = 1.
// Returns the chosen scale per row, [rows, 1], in data's dtype (upstream keeps it
// un-cast: opt-RTN scales are NOT rounded to scale_dtype).
at::Tensor search_int_sym_scales(const at::Tensor& data, int bits, const at::Tensor& weights);

// imatrix: [K] Σx²/#samples of this layer's input, or undefined (plain MSE).
// spec.sym must be true. Result fields as qdq_int; scale is fp32.
IntQdq qdq_int_opt_rtn(const at::Tensor& w, const IntSpec& spec, const at::Tensor& imatrix = {});

}  // namespace arecipe::qdq
