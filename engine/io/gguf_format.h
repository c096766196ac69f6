// GGUF container vocabulary shared by the reader (engine/io/gguf_reader.h) and the
// writer (exporters/gguf): metadata value types, typed values, limits
// (gguf-spec.md section 1). Torch-free.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace arecipe::gguf {

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint64_t kMaxStringBytes = 1ull << 30;  // llama.cpp's limit for any gguf string
constexpr size_t kMaxTensorNameBytes = 63;        // GGML_MAX_NAME (64) minus the NUL
constexpr int kMaxDims = 4;

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};

const char* value_type_name(ValueType t);
// Payload bytes of a fixed-size scalar type; 0 for STRING and ARRAY.
size_t value_type_size(ValueType t);

// One metadata value. Scalars use `u` (unsigned, bool), `i` (signed) or `f` (floats)
// according to `type`; arrays hold `elem` typed entries in `strs` (STRING), `ints`
// (integers, bools) or `floats` (F32/F64).
struct Value {
  ValueType type = ValueType::U32;
  ValueType elem = ValueType::U8;
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<std::string> strs;
  std::vector<int64_t> ints;
  std::vector<double> floats;

  static Value u32(uint32_t v) { Value x; x.type = ValueType::U32; x.u = v; return x; }
  static Value i32(int32_t v) { Value x; x.type = ValueType::I32; x.i = v; return x; }
  static Value f32(float v) { Value x; x.type = ValueType::F32; x.f = v; return x; }
  static Value boolean(bool v) { Value x; x.type = ValueType::BOOL; x.u = v; return x; }
  static Value str(std::string v) { Value x; x.type = ValueType::STRING; x.s = std::move(v); return x; }
  static Value str_array(std::vector<std::string> v) {
    Value x; x.type = ValueType::ARRAY; x.elem = ValueType::STRING; x.strs = std::move(v); return x;
  }
  static Value int_array(ValueType elem, std::vector<int64_t> v) {
    Value x; x.type = ValueType::ARRAY; x.elem = elem; x.ints = std::move(v); return x;
  }
  static Value f32_array(std::vector<double> v) {
    Value x; x.type = ValueType::ARRAY; x.elem = ValueType::F32; x.floats = std::move(v); return x;
  }
  size_t array_size() const { return elem == ValueType::STRING ? strs.size() : (elem == ValueType::F32 || elem == ValueType::F64) ? floats.size() : ints.size(); }
};

using Metadata = std::vector<std::pair<std::string, Value>>;

inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace arecipe::gguf
