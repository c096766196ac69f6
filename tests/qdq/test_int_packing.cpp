// Packed qweight/qzeros/scales vs auto-round's own packers (qlinear_torch_zp,
// qlinear_torch, WQLinear_GEMM) fed the same fake-quant weight, scale and zp.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <ostream>

#include "exporters/int_packing.h"
#include "tests/qdq/golden_file.h"

using namespace arecipe;
using namespace arecipe::qdq_test;

namespace {

struct PackCase {
  const char* name;
  int bits;
  int64_t group_size;
  bool sym;
};
// Printed by gtest (and so in ctest's test names): the case name, not raw bytes.
[[maybe_unused]] void PrintTo(const PackCase& c, std::ostream* os) { *os << c.name; }

const PackCase kPackCases[] = {
    {"int_w4g32_sym", 4, 32, true},   {"int_w4g32_asym", 4, 32, false}, {"int_w2g32_sym", 2, 32, true},
    {"int_w2g32_asym", 2, 32, false}, {"int_w8g-1_sym", 8, -1, true},   {"int_w8g-1_asym", 8, -1, false},
    {"int_w3g32_sym", 3, 32, true},   {"int_w3g32_asym", 3, 32, false}, {"int_w4g128_sym", 4, 128, true},
    {"int_w4g128_asym", 4, 128, false},
};

class PackingGolden : public ::testing::TestWithParam<PackCase> {};

TEST_P(PackingGolden, IdenticalToAutoRoundPackers) {
  const PackCase& c = GetParam();
  const std::string n = c.name;
  at::Tensor qdq = golden(n + "/qdq");
  at::Tensor scale = golden(n + "/scale");
  at::Tensor zp_int = golden(n + "/zp").to(at::kInt);
  at::Tensor zp = c.sym ? at::Tensor() : zp_int.to(at::kFloat);
  at::Tensor codes = exporters::codes_from_fake_quant(qdq, scale, zp, int64_t{1} << (c.bits - 1), c.bits, c.group_size);
  ASSERT_TRUE(at::equal(codes, golden(n + "/codes").to(at::kInt))) << n;

  EXPECT_TRUE(at::equal(exporters::pack_gptq_qweight(codes, c.bits), golden(n + "/gptq/qweight"))) << n;
  EXPECT_TRUE(at::equal(exporters::pack_gptq_qzeros(zp_int, c.bits, -1), golden(n + "/gptq/qzeros"))) << n;
  EXPECT_TRUE(at::equal(scale.t().contiguous(), golden(n + "/gptq/scales"))) << n;
  if (has_golden(n + "/autoround/qweight")) {
    EXPECT_TRUE(at::equal(exporters::pack_gptq_qweight(codes, c.bits), golden(n + "/autoround/qweight"))) << n;
    EXPECT_TRUE(at::equal(exporters::pack_gptq_qzeros(zp_int, c.bits, 0), golden(n + "/autoround/qzeros"))) << n;
  } else {
    EXPECT_TRUE(c.sym || c.bits == 3) << n << ": fixture should hold the auto_round (zp as is) packing";
  }
  if (c.bits == 4) {
    ASSERT_TRUE(has_golden(n + "/awq/qweight"));
    EXPECT_TRUE(at::equal(exporters::pack_awq_qweight(codes), golden(n + "/awq/qweight"))) << n;
    EXPECT_TRUE(at::equal(exporters::pack_awq_qzeros(zp_int), golden(n + "/awq/qzeros"))) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(AutoRound, PackingGolden, ::testing::ValuesIn(kPackCases), [](const auto& info) {
  std::string s = info.param.name;
  for (char& ch : s) if (ch == '-') ch = 'm';
  return s;
});

TEST(IntPacking, ZeroPointOfZeroClampsInsteadOfCorruptingTheWord) {
  at::Tensor zp = at::zeros({32, 1}, at::kInt);
  zp[5][0] = 9;
  at::Tensor packed = exporters::pack_gptq_qzeros(zp, 4, -1);
  // Word 0 holds outputs 0..7: output 5 stores 8 in nibble 5, the zeros store 0.
  EXPECT_EQ(static_cast<uint32_t>(packed[0][0].item<int32_t>()), 0x00800000u);
}

TEST(IntPacking, RejectsUnpackableShapes) {
  EXPECT_THROW(exporters::pack_gptq_qweight(at::zeros({4, 48}, at::kInt), 4), std::invalid_argument);
  EXPECT_THROW(exporters::pack_gptq_qweight(at::zeros({4, 64}, at::kInt), 5), std::invalid_argument);
}

}  // namespace
