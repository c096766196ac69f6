// Dequantization of one packed linear (layouts in packed_weights.h): the exact
// inverse of exporters/int_packing.cpp and of auto-round's packers.
//   W[n, k] = scales[g(k), n] · (q[k, n] − (z[g(k), n] + zp_offset))
// with g(k) = g_idx[k] when the checkpoint has one, else k / group_size; computed in
// fp32 (fp64 when asked for), so it equals the qdq weight the exporter started from.
#pragma once
#include <ATen/core/Tensor.h>

#include "engine/io/tensor_store.h"
#include "engine/model/packed_weights.h"

namespace arecipe {

// From tensors already read: qweight/qzeros int32, scales float, g_idx int (or
// undefined). Shapes must already satisfy check_packed_layer; g_idx values are
// checked here (Error naming `where` and the tensor). Returns [N, K] of `type`.
at::Tensor dequantize_packed(const PackedLayer& layer, const at::Tensor& qweight, const at::Tensor& qzeros,
                             const at::Tensor& scales, const at::Tensor& g_idx, const std::string& where,
                             at::ScalarType type = at::kFloat);

// Reads the layer's tensors from `store` and dequantizes them.
at::Tensor dequantize_packed(const TensorStore& store, const PackedLayer& layer, at::ScalarType type = at::kFloat);

// The unpacked integers (exposed for tests): codes [N, K] and zero points [G, N] as
// stored (before zp_offset), int32.
at::Tensor unpack_codes(const PackedLayer& layer, const at::Tensor& qweight);
at::Tensor unpack_zeros(const PackedLayer& layer, const at::Tensor& qzeros);

}  // namespace arecipe
