#include "schemes/ggml/ggml_type.h"

#include <array>
#include <cctype>

#include "engine/util/error.h"

namespace arecipe::ggml {
namespace {

constexpr std::array<TypeInfo, 13> kTypes{{
    {Type::F32, "f32", 1, 4, false},
    {Type::F16, "f16", 1, 2, false},
    {Type::Q4_0, "q4_0", 32, 18, true},
    {Type::Q4_1, "q4_1", 32, 20, true},
    {Type::Q5_0, "q5_0", 32, 22, true},
    {Type::Q5_1, "q5_1", 32, 24, true},
    {Type::Q8_0, "q8_0", 32, 34, true},
    {Type::Q2_K, "q2_K", 256, 84, true},
    {Type::Q3_K, "q3_K", 256, 110, true},
    {Type::Q4_K, "q4_K", 256, 144, true},
    {Type::Q5_K, "q5_K", 256, 176, true},
    {Type::Q6_K, "q6_K", 256, 210, true},
    {Type::BF16, "bf16", 1, 2, false},
}};

}  // namespace

std::optional<TypeInfo> type_info(uint32_t code) {
  for (const TypeInfo& t : kTypes)
    if (static_cast<uint32_t>(t.type) == code) return t;
  return std::nullopt;
}

const TypeInfo& info(Type t) {
  for (const TypeInfo& i : kTypes)
    if (i.type == t) return i;
  throw Error("internal: unknown ggml type code " + std::to_string(static_cast<uint32_t>(t)));
}

std::optional<Type> parse_type(std::string_view name) {
  for (const TypeInfo& t : kTypes) {
    std::string_view n = t.name;
    if (n.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < n.size() && eq; ++i)
      eq = std::tolower(static_cast<unsigned char>(n[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (eq) return t.type;
  }
  return std::nullopt;
}

size_t row_bytes(Type t, int64_t n) {
  const TypeInfo& i = info(t);
  if (n < 0 || n % i.block_elems != 0)
    throw Error(std::string("row of ") + std::to_string(n) + " elements is not a multiple of " + i.name +
                "'s block of " + std::to_string(i.block_elems));
  return static_cast<size_t>(n / i.block_elems) * static_cast<size_t>(i.block_bytes);
}

}  // namespace arecipe::ggml
