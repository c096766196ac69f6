// MXFP4 / MXFP8 / NVFP4 fake-quant vs auto-round (quant_mx, nv_fp4): within 1 ulp of
// fp32 (the transcendental log2/pow may differ between LibTorch builds), scales exact.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "schemes/qdq/float8.h"
#include "schemes/qdq/mx_fp.h"
#include "schemes/qdq/nv_fp.h"
#include "tests/qdq/golden_file.h"

using namespace arecipe;
using namespace arecipe::qdq_test;

namespace {

void expect_mx(const std::string& n, const char* format) {
  at::Tensor w = golden_input(n);
  qdq::MxQdq got = qdq::qdq_mx(w, qdq::mx_format(format), 32);
  at::Tensor want = golden(n + "/qdq");
  ASSERT_EQ(got.qdq.sizes(), want.sizes());
  EXPECT_EQ(count_ulp_mismatches(got.qdq, want, 1), 0) << n;
  EXPECT_TRUE(at::equal(got.shared_exp, golden(n + "/shared_exp"))) << n;
  EXPECT_GT((got.qdq != w).sum().item<int64_t>(), 0) << "qdq must change the weight";
}

TEST(MxQdqGolden, Mxfp4) { expect_mx("mxfp4", "mx_fp4"); }
TEST(MxQdqGolden, Mxfp8) { expect_mx("mxfp8", "mx_fp8"); }
TEST(MxQdqGolden, Mxfp4StoriesGate) { expect_mx("mxfp4_stories_gate", "mx_fp4"); }

void expect_nv(const std::string& n) {
  at::Tensor w = golden_input(n);
  qdq::NvFp4Qdq got = qdq::qdq_nvfp4(w);
  EXPECT_EQ(count_ulp_mismatches(got.global_scale.reshape({1}), golden(n + "/global_scale"), 0), 0);
  EXPECT_EQ(count_ulp_mismatches(got.block_scale, golden(n + "/block_scale"), 0), 0) << n;
  EXPECT_EQ(count_ulp_mismatches(got.qdq, golden(n + "/qdq"), 1), 0) << n;
}

TEST(NvFp4QdqGolden, Random) { expect_nv("nvfp4"); }
TEST(NvFp4QdqGolden, StoriesGate) { expect_nv("nvfp4_stories_gate"); }

TEST(Float8, RoundsOntoTheE4m3GridHalfToEven) {
  at::Tensor x = at::tensor({0.0f, 1.0f, 1.0625f, 1.1875f, 448.0f, -3.3f, 0.001953125f, 0.0029296875f, 17.0f});
  at::Tensor want = at::tensor({0.0f, 1.0f, 1.0f, 1.25f, 448.0f, -3.25f, 0.001953125f, 0.00390625f, 16.0f});
  EXPECT_TRUE(at::equal(qdq::round_to_float8_e4m3fn(x), want)) << qdq::round_to_float8_e4m3fn(x);
}

}  // namespace
