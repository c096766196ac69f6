// Row encoders and decoders for every ggml type arecipe writes, numerically identical
// to llama-quantize (gguf-spec.md section 8). Torch-free; rows are float spans.
#pragma once
#include <cstdint>

#include "schemes/ggml/ggml_type.h"

namespace arecipe::ggml {

// Encodes one row of n values into row_bytes(t, n) bytes at out. importance (length n,
// one weight per column, e.g. an imatrix's mean squared activations) selects
// llama.cpp's imatrix path; nullptr its reference path. Q8_0 and the float types ignore
// it, as llama-quantize does. Throws Error when n is not a multiple of t's block.
void quantize_row(Type t, const float* x, int64_t n, const float* importance, uint8_t* out);

// Decodes one row of n values.
void dequantize_row(Type t, const uint8_t* in, int64_t n, float* y);

}  // namespace arecipe::ggml
