// Rows of a weight regrouped so that every group of `group_size` input elements is one
// row of a 2-D tensor, padded the way auto-round pads (data_type/utils.py
// reshape_pad_tensor_by_group_size). All qdq functions work on this grouped view.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace arecipe::qdq {

struct Grouped {
  at::Tensor data;                  // [rows * groups_per_row, group] (or [rows, in] per-row)
  std::vector<int64_t> orig_shape;  // shape before grouping
  int64_t pad_len = 0;              // zeros (or pad_value) appended to each row
  int64_t groups_per_row = 1;
};

// group_size -1 → one group per row; 0 → one group for the whole tensor. Like
// upstream, a row shorter than group_size is NOT padded: it becomes a single group
// of its own length. Otherwise rows are padded to a multiple of group_size with
// `pad_value` (0 for weights; upstream pads imatrix with 1e-5).
Grouped group_rows(const at::Tensor& w, int64_t group_size, double pad_value = 0.0);

// Inverse of group_rows for a tensor with the grouped shape: drops the padding and
// restores orig_shape.
at::Tensor ungroup_rows(const at::Tensor& grouped, const Grouped& layout);

}  // namespace arecipe::qdq
