// ggml tensor element types that GGUF files carry (gguf-spec.md section 2): codes,
// block geometry and names. Torch-free; shared by the encoders, the GGUF writer and
// the GGUF reader.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arecipe::ggml {

enum class Type : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

struct TypeInfo {
  Type type;
  const char* name;    // llama.cpp's spelling: "q4_K", "f16", ...
  int64_t block_elems;
  int64_t block_bytes;
  bool quantized;
};

// Geometry of a supported type; nullopt for codes this encoder set does not know.
std::optional<TypeInfo> type_info(uint32_t code);
const TypeInfo& info(Type t);

// Case-insensitive parse of "q4_k", "Q8_0", "f16", "bf16", "f32"; nullopt otherwise.
std::optional<Type> parse_type(std::string_view name);

// Bytes of one row of n elements; throws Error when n is not a multiple of the block.
size_t row_bytes(Type t, int64_t n);

}  // namespace arecipe::ggml
