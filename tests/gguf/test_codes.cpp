// The code view used by tuned GGUF (schemes/ggml/codes.h): for every quantized type,
// with and without importance, on every test row distribution,
//  * decode_codes' affine view reproduces dequantize_row value for value,
//  * repacking the decoded codes gives the encoder's bytes back unchanged,
//  * repacking other codes changes exactly those values (checked through the decoder),
//  * codes outside the type's range are refused.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "engine/util/error.h"
#include "schemes/ggml/codec.h"
#include "schemes/ggml/codes.h"
#include "tests/gguf/random_rows.h"

using namespace arecipe;
using ggml::Type;

namespace {

const Type kTypes[] = {Type::Q4_0, Type::Q4_1, Type::Q5_0, Type::Q5_1, Type::Q8_0,
                       Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K};
constexpr int64_t kN = 512;

struct Decoded {
  std::vector<float> scale, offset;
  std::vector<int8_t> code;
};

Decoded decode(Type t, const std::vector<uint8_t>& bytes) {
  const ggml::CodeLayout l = ggml::code_layout(t);
  Decoded d{std::vector<float>(kN / l.group), std::vector<float>(kN / l.group), std::vector<int8_t>(kN)};
  ggml::decode_codes(t, bytes.data(), kN, d.scale.data(), d.offset.data(), d.code.data());
  return d;
}

TEST(GgmlCodes, AffineViewAndRepackRoundTrip) {
  std::vector<float> imp(kN);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.01f, 2.f);
  for (auto& v : imp) v = u(rng);
  for (Type t : kTypes)
    for (bool with_imp : {false, true})
      for (const std::string& kind : test::row_kinds()) {
        SCOPED_TRACE(std::string(ggml::info(t).name) + (with_imp ? " imatrix " : " ") + kind);
        const std::vector<float> x = test::random_rows(kind, 1, kN, 11);
        std::vector<uint8_t> bytes(ggml::row_bytes(t, kN));
        ggml::quantize_row(t, x.data(), kN, with_imp ? imp.data() : nullptr, bytes.data());
        std::vector<float> y(kN);
        ggml::dequantize_row(t, bytes.data(), kN, y.data());

        const ggml::CodeLayout l = ggml::code_layout(t);
        const Decoded d = decode(t, bytes);
        for (int64_t i = 0; i < kN; ++i) {
          ASSERT_GE(d.code[i], l.lo);
          ASSERT_LE(d.code[i], l.hi);
          const float v = d.scale[i / l.group] * d.code[i] + d.offset[i / l.group];
          ASSERT_EQ(v, y[i]) << "element " << i;  // same fp32 operations as the decoder
        }
        std::vector<uint8_t> again(bytes.size());
        ggml::repack_codes(t, bytes.data(), kN, d.code.data(), again.data());
        ASSERT_EQ(again, bytes);

        // Other codes (each moved by +-1 within range, some to the range ends): the
        // decoder sees exactly them, with the scales/mins unchanged.
        std::vector<int8_t> other = d.code;
        for (int64_t i = 0; i < kN; ++i) {
          int c = other[i] + (i % 3 == 0 ? 1 : i % 3 == 1 ? -1 : 0);
          if (i % 17 == 0) c = l.lo;
          if (i % 19 == 0) c = l.hi;
          other[i] = static_cast<int8_t>(std::min(l.hi, std::max(l.lo, c)));
        }
        std::vector<uint8_t> moved(bytes.size());
        ggml::repack_codes(t, bytes.data(), kN, other.data(), moved.data());
        const Decoded dm = decode(t, moved);
        ASSERT_EQ(dm.code, other);
        ASSERT_EQ(dm.scale, d.scale);
        ASSERT_EQ(dm.offset, d.offset);
        ggml::dequantize_row(t, moved.data(), kN, y.data());
        for (int64_t i = 0; i < kN; ++i) ASSERT_EQ(y[i], d.scale[i / l.group] * other[i] + d.offset[i / l.group]);
        // In place is allowed.
        ggml::repack_codes(t, moved.data(), kN, d.code.data(), moved.data());
        ASSERT_EQ(moved, bytes);
      }
}

TEST(GgmlCodes, RefusesOutOfRangeCodesAndFloatTypes) {
  for (Type t : kTypes) {
    const ggml::CodeLayout l = ggml::code_layout(t);
    std::vector<uint8_t> bytes(ggml::row_bytes(t, kN));
    const std::vector<float> x = test::random_rows("gauss", 1, kN, 3);
    ggml::quantize_row(t, x.data(), kN, nullptr, bytes.data());
    std::vector<int8_t> code(kN, static_cast<int8_t>(l.lo));
    if (l.hi < 127) {
      code[5] = static_cast<int8_t>(l.hi + 1);
      EXPECT_THROW(ggml::repack_codes(t, bytes.data(), kN, code.data(), bytes.data()), Error) << ggml::info(t).name;
    }
    if (l.lo > -128) {
      code[5] = static_cast<int8_t>(l.lo - 1);
      EXPECT_THROW(ggml::repack_codes(t, bytes.data(), kN, code.data(), bytes.data()), Error) << ggml::info(t).name;
    }
  }
  EXPECT_THROW(ggml::code_layout(Type::F16), Error);
  EXPECT_THROW(ggml::code_layout(Type::F32), Error);
}

}  // namespace
