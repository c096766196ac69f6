// The integer codes inside encoded ggml rows, as an affine view a tuner can work on
// (tuned GGUF, docs/gguf.md): every quantized type decodes as
//     y[i] = scale[i / group] * code[i] + offset[i / group]
// with the same fp32 operations as its decoder (so the view reproduces
// dequantize_row bit for bit), and code[i] in [lo, hi]. repack_codes writes a row with
// the same scales/mins (every non-code byte copied) and other codes; repacking the
// codes decode_codes read gives the identical bytes. Torch-free.
#pragma once
#include <cstdint>

#include "schemes/ggml/ggml_type.h"

namespace arecipe::ggml {

struct CodeLayout {
  int64_t group;  // elements sharing one scale/offset (a sub-block)
  int lo, hi;     // code range
};

// Throws Error for the float types (F32/F16/BF16), which have no codes.
CodeLayout code_layout(Type t);

// One encoded row of n values: scale/offset get n / group values, code gets n.
void decode_codes(Type t, const uint8_t* in, int64_t n, float* scale, float* offset, int8_t* code);

// Copies the encoded row `in` to `out` with its codes replaced by `code` (n values in
// the layout's range; throws Error otherwise). in == out is allowed.
void repack_codes(Type t, const uint8_t* in, int64_t n, const int8_t* code, uint8_t* out);

}  // namespace arecipe::ggml
