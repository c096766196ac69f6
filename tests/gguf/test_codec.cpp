// Offline tests of the ggml encoders/decoders: byte equality with llama.cpp on the
// committed fixture (gen_codec_golden.py), fp16/bf16 rounding edge cases, decode error
// bounds per type, and rejection of rows that are not a whole number of blocks.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "engine/util/error.h"
#include "schemes/ggml/codec.h"
#include "schemes/ggml/half.h"
#include "tests/gguf/random_rows.h"

using namespace arecipe;
using ggml::Type;

namespace {

template <typename T>
T take(const std::vector<uint8_t>& b, size_t& off) {
  if (off + sizeof(T) > b.size()) throw std::runtime_error("fixture truncated");
  T v;
  std::memcpy(&v, b.data() + off, sizeof(T));
  off += sizeof(T);
  return v;
}

TEST(GgmlCodec, MatchesLlamaCppGolden) {
  std::ifstream f("tests/gguf/data/codec_golden.bin", std::ios::binary);
  ASSERT_TRUE(f) << "run from the repository root";
  const std::vector<uint8_t> b{std::istreambuf_iterator<char>(f), {}};
  size_t off = 0;
  ASSERT_EQ(std::memcmp(b.data(), "AGGC", 4), 0);
  off = 4;
  const uint32_t n = take<uint32_t>(b, off), rows = take<uint32_t>(b, off);
  std::vector<float> x(static_cast<size_t>(n) * rows), imp(n);
  for (auto& v : x) v = take<float>(b, off);
  for (auto& v : imp) v = take<float>(b, off);
  const uint32_t cases = take<uint32_t>(b, off);
  ASSERT_EQ(cases, 24u);
  for (uint32_t c = 0; c < cases; ++c) {
    const auto t = static_cast<Type>(take<uint32_t>(b, off));
    const bool im = take<uint32_t>(b, off) != 0;
    const auto nbytes = take<uint64_t>(b, off);
    const size_t rb = ggml::row_bytes(t, n);
    ASSERT_EQ(nbytes, rb * rows);
    std::vector<uint8_t> ours(nbytes);
    for (uint32_t r = 0; r < rows; ++r)
      ggml::quantize_row(t, x.data() + size_t(r) * n, n, im ? imp.data() : nullptr, ours.data() + r * rb);
    EXPECT_EQ(std::memcmp(ours.data(), b.data() + off, nbytes), 0) << ggml::info(t).name << (im ? " imatrix" : "");
    off += nbytes;
  }
  EXPECT_EQ(off, b.size());
}

TEST(GgmlCodec, Fp16RoundsToNearestEven) {
  using ggml::fp32_to_fp16;
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3c00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xc000);
  EXPECT_EQ(fp32_to_fp16(65504.f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65519.f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.f), 0x7c00);  // tie rounds to even: infinity
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.f, -24)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.f, -25)), 0x0000);          // tie to even (0)
  EXPECT_EQ(fp32_to_fp16(std::ldexp(3.f, -25)), 0x0002);          // 1.5 ulp: tie to even (2)
  EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.f, -11)), 0x3c00);  // tie, even stays
  EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(3.f, -11)), 0x3c02);  // tie, odd rounds up
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.f, -14)), 0x0400);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1023.f, -24)), 0x03ff);
  EXPECT_EQ(fp32_to_fp16(INFINITY), 0x7c00);
  EXPECT_TRUE((fp32_to_fp16(NAN) & 0x7c00) == 0x7c00 && (fp32_to_fp16(NAN) & 0x3ff) != 0);
  for (uint32_t h = 0; h < 0x7c00; ++h)  // every finite half survives the round trip
    ASSERT_EQ(fp32_to_fp16(ggml::fp16_to_fp32(static_cast<uint16_t>(h))), h);
  EXPECT_EQ(ggml::fp32_to_bf16(1.0f + std::ldexp(1.f, -8)), 0x3f80);  // tie to even
  EXPECT_EQ(ggml::fp32_to_bf16(1.0f + std::ldexp(3.f, -8)), 0x3f82);
}

// Relative RMSE of decode(encode(x)) on Gaussian rows: bounds a little above the values
// gguf-spec.md 12 reports for llama.cpp on Gaussian weights.
TEST(GgmlCodec, DecodeErrorWithinTypeBounds) {
  const int64_t n = 1024, rows = 8;
  const std::vector<float> x = test::random_rows("gauss", rows, n, 3);
  const std::vector<float> imp = test::random_importance(n, 4);
  const std::pair<Type, double> bounds[] = {
      {Type::F32, 1e-9}, {Type::F16, 1e-3},  {Type::BF16, 5e-3}, {Type::Q8_0, 0.01}, {Type::Q6_K, 0.025},
      {Type::Q5_K, 0.045}, {Type::Q5_1, 0.045}, {Type::Q5_0, 0.05}, {Type::Q4_K, 0.085}, {Type::Q4_1, 0.09},
      {Type::Q4_0, 0.1}, {Type::Q3_K, 0.18},  {Type::Q2_K, 0.36}};
  for (const auto& [t, bound] : bounds) {
    for (bool im : {false, true}) {
      const size_t rb = ggml::row_bytes(t, n);
      std::vector<uint8_t> q(rb);
      std::vector<float> y(n);
      double err = 0, ref = 0;
      for (int64_t r = 0; r < rows; ++r) {
        ggml::quantize_row(t, x.data() + r * n, n, im ? imp.data() : nullptr, q.data());
        ggml::dequantize_row(t, q.data(), n, y.data());
        for (int64_t i = 0; i < n; ++i) {
          const double d = y[i] - x[r * n + i];
          err += d * d;
          ref += double(x[r * n + i]) * x[r * n + i];
        }
      }
      const double rel = std::sqrt(err / ref);
      EXPECT_LT(rel, bound) << ggml::info(t).name << (im ? " imatrix" : "");
      if (ggml::info(t).quantized) EXPECT_GT(rel, bound / 20) << ggml::info(t).name << ": suspiciously exact";
    }
  }
}

TEST(GgmlCodec, ZeroRowsEncodeToZeros) {
  const std::vector<float> x(512, 0.f);
  for (Type t : {Type::Q4_0, Type::Q8_0, Type::Q2_K, Type::Q3_K, Type::Q4_K, Type::Q5_K, Type::Q6_K}) {
    std::vector<uint8_t> q(ggml::row_bytes(t, 512));
    std::vector<float> y(512, 1.f);
    ggml::quantize_row(t, x.data(), 512, nullptr, q.data());
    ggml::dequantize_row(t, q.data(), 512, y.data());
    for (float v : y) ASSERT_EQ(v, 0.f) << ggml::info(t).name;
  }
}

TEST(GgmlCodec, RejectsRowsThatAreNotWholeBlocks) {
  std::vector<float> x(300, 1.f);
  std::vector<uint8_t> q(1024);
  EXPECT_THROW(ggml::quantize_row(Type::Q4_K, x.data(), 300, nullptr, q.data()), Error);
  EXPECT_THROW(ggml::quantize_row(Type::Q8_0, x.data(), 100, nullptr, q.data()), Error);
  EXPECT_THROW(ggml::dequantize_row(Type::Q6_K, q.data(), 128, x.data()), Error);
  EXPECT_NO_THROW(ggml::quantize_row(Type::Q8_0, x.data(), 96, nullptr, q.data()));
  EXPECT_NO_THROW(ggml::quantize_row(Type::F16, x.data(), 299, nullptr, q.data()));
  try {
    ggml::row_bytes(Type::Q4_K, 300);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a multiple of q4_K's block of 256"), std::string::npos) << e.what();
  }
}

TEST(GgmlCodec, TypeNamesParse) {
  EXPECT_EQ(ggml::parse_type("Q4_K"), Type::Q4_K);
  EXPECT_EQ(ggml::parse_type("q8_0"), Type::Q8_0);
  EXPECT_EQ(ggml::parse_type("BF16"), Type::BF16);
  EXPECT_FALSE(ggml::parse_type("q4_k_m"));
  EXPECT_FALSE(ggml::type_info(4));  // retired code
}

}  // namespace
