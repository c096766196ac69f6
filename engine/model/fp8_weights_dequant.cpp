#include "engine/model/fp8_weights_dequant.h"

#include <ATen/ATen.h>

#include "engine/model/tensor_convert.h"
#include "engine/util/error.h"

namespace arecipe {

at::Tensor dequantize_fp8(const TensorStore& store, const Fp8Weight& w, at::ScalarType type) {
  // Shapes were checked at open (check_fp8_weight); check again so a caller holding a
  // hand-made Fp8Weight cannot index past a scale row.
  at::Tensor q = to_tensor(store.view(w.weight), at::kFloat);
  at::Tensor s = to_tensor(store.view(w.scale), at::kFloat);
  const int64_t br = w.blocks.block_rows, bc = w.blocks.block_cols;
  if (q.sizes() != at::IntArrayRef{w.rows, w.cols} ||
      s.sizes() != at::IntArrayRef{(w.rows + br - 1) / br, (w.cols + bc - 1) / bc})
    throw Error(store.dir() + ": '" + w.weight + "' / '" + w.scale + "' do not have the checked shapes");
  if (!at::isfinite(s).all().item<bool>() || (s < 0).any().item<bool>())
    throw Error(store.dir() + ": tensor '" + w.scale + "' holds a negative or non-finite scale");
  // Row block by row block, in place: no full-size scale tensor next to the weight
  // (a DeepSeek expert weight is 2048x7168).
  for (int64_t i = 0; i < s.size(0); ++i) {
    const int64_t r0 = i * br, nr = std::min(br, w.rows - r0);
    at::Tensor row_scale = s[i].repeat_interleave(bc).narrow(0, 0, w.cols);  // [cols]
    q.narrow(0, r0, nr).mul_(row_scale);
  }
  return q.scalar_type() == type ? q : q.to(type);
}

}  // namespace arecipe
