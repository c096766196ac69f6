// Reference test: arecipe's ggml encoders vs llama.cpp's ggml_quantize_chunk (through
// arecipe-ggml-quantize, built by scripts/build-llama-cpp) on many random rows, with and
// without importance weights. Every byte must match.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "schemes/ggml/codec.h"
#include "tests/gguf/random_rows.h"

namespace fs = std::filesystem;
using namespace arecipe;

namespace {

fs::path tool() {
  if (const char* p = std::getenv("ARECIPE_LLAMA_CPP_BIN")) return fs::path(p) / "arecipe-ggml-quantize";
  return fs::path(ARECIPE_BINARY_DIR) / "llama.cpp/bin/arecipe-ggml-quantize";
}

void write_f32(const fs::path& p, const std::vector<float>& v) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct Case {
  ggml::Type type;
  bool imatrix;
};

class CodecVsLlama : public ::testing::TestWithParam<Case> {};

TEST_P(CodecVsLlama, BytesIdentical) {
  ASSERT_TRUE(fs::exists(tool())) << tool() << " missing: run scripts/build-llama-cpp " << ARECIPE_BINARY_DIR;
  const Case c = GetParam();
  const int64_t n = 768, rows = 16;
  const size_t rb = ggml::row_bytes(c.type, n);
  const fs::path dir = fs::temp_directory_path() / ("arecipe-codec-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  uint32_t seed = 1;
  for (const std::string& kind : test::row_kinds()) {
    const std::vector<float> x = test::random_rows(kind, rows, n, seed++);
    const std::vector<float> imp = test::random_importance(n, seed++);
    write_f32(dir / "x.f32", x);
    write_f32(dir / "w.f32", imp);
    std::string cmd = tool().string() + " " + std::to_string(static_cast<uint32_t>(c.type)) + " " + std::to_string(n) + " " +
                      (dir / "x.f32").string() + " " + (dir / "ref.bin").string();
    if (c.imatrix) cmd += " " + (dir / "w.f32").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const std::vector<uint8_t> ref = read_all(dir / "ref.bin");
    ASSERT_EQ(ref.size(), rb * rows);
    std::vector<uint8_t> ours(rb * rows);
    for (int64_t r = 0; r < rows; ++r)
      ggml::quantize_row(c.type, x.data() + r * n, n, c.imatrix ? imp.data() : nullptr, ours.data() + r * rb);
    const int64_t bb = ggml::info(c.type).block_bytes;
    size_t bad = 0, first = SIZE_MAX;
    for (size_t b = 0; b < ours.size() / bb; ++b)
      if (std::memcmp(ours.data() + b * bb, ref.data() + b * bb, bb) != 0) {
        ++bad;
        first = std::min(first, b);
      }
    EXPECT_EQ(bad, 0u) << kind << ": " << bad << " of " << ours.size() / bb << " blocks differ, first " << first;
  }
  fs::remove_all(dir);
}

std::vector<Case> all_cases() {
  std::vector<Case> v;
  for (ggml::Type t : {ggml::Type::Q4_0, ggml::Type::Q4_1, ggml::Type::Q5_0, ggml::Type::Q5_1, ggml::Type::Q8_0,
                       ggml::Type::Q2_K, ggml::Type::Q3_K, ggml::Type::Q4_K, ggml::Type::Q5_K, ggml::Type::Q6_K,
                       ggml::Type::F16, ggml::Type::BF16})
    for (bool im : {false, true}) v.push_back({t, im});
  return v;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CodecVsLlama, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(ggml::info(i.param.type).name) + (i.param.imatrix ? "_imatrix" : "_plain");
                         });

}  // namespace
