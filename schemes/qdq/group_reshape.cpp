#include "schemes/qdq/group_reshape.h"

#include <ATen/ATen.h>

namespace arecipe::qdq {

Grouped group_rows(const at::Tensor& w, int64_t group_size, double pad_value) {
  Grouped g;
  g.orig_shape = w.sizes().vec();
  if (group_size == 0) {
    g.data = w.reshape({1, -1});
    return g;
  }
  at::Tensor data = w.dim() > 2 ? w.reshape({-1, g.orig_shape.back()}) : w;
  const int64_t in = data.size(1);
  if (group_size == -1 || in < group_size) {
    g.data = data;
    return g;
  }
  g.groups_per_row = (in + group_size - 1) / group_size;
  g.pad_len = g.groups_per_row * group_size - in;
  if (g.pad_len != 0) data = at::constant_pad_nd(data, {0, g.pad_len}, pad_value);
  g.data = data.reshape({-1, group_size});
  return g;
}

at::Tensor ungroup_rows(const at::Tensor& grouped, const Grouped& layout) {
  if (layout.pad_len == 0) return grouped.reshape(layout.orig_shape);
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < layout.orig_shape.size(); ++i) rows *= layout.orig_shape[i];
  at::Tensor padded = grouped.reshape({rows, -1});
  return padded.narrow(1, 0, padded.size(1) - layout.pad_len).reshape(layout.orig_shape);
}

}  // namespace arecipe::qdq
