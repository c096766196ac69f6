// Integer RTN qdq vs auto-round 0.16.1 (rtn_int_sym, int_asym): codes, scales, zero
// points and the fake-quant weight must be bit-identical.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <ostream>

#include "schemes/qdq/int_qdq.h"
#include "tests/qdq/golden_file.h"

using namespace arecipe;
using namespace arecipe::qdq_test;

namespace {

struct IntCase {
  const char* name;
  int bits;
  int64_t group_size;
  bool sym;
};
// Printed by gtest (and so in ctest's test names): the case name, not raw bytes.
[[maybe_unused]] void PrintTo(const IntCase& c, std::ostream* os) { *os << c.name; }

const IntCase kCases[] = {
    {"int_w4g32_sym", 4, 32, true},       {"int_w4g32_asym", 4, 32, false},
    {"int_w2g32_sym", 2, 32, true},       {"int_w2g32_asym", 2, 32, false},
    {"int_w8g-1_sym", 8, -1, true},       {"int_w8g-1_asym", 8, -1, false},
    {"int_w3g32_sym", 3, 32, true},       {"int_w3g32_asym", 3, 32, false},
    {"int_w4g128_sym", 4, 128, true},     {"int_w4g128_asym", 4, 128, false},
    {"int_w4g128_sym_bf16", 4, 128, true}, {"int_w4g32_asym_bf16", 4, 32, false},
    {"stories_down_w4g32_sym", 4, 32, true}, {"stories_down_w4g32_asym", 4, 32, false},
    {"stories_down_w3g32_sym", 3, 32, true}, {"stories_down_w2g32_asym", 2, 32, false},
    {"stories_down_w8g128_sym", 8, 128, true}, {"stories_gate_w4g32_sym", 4, 32, true},
};

class IntQdqGolden : public ::testing::TestWithParam<IntCase> {};

TEST_P(IntQdqGolden, BitIdenticalToAutoRound) {
  const IntCase& c = GetParam();
  const std::string n = c.name;
  at::Tensor w = golden_input(n);
  qdq::IntQdq got = qdq::qdq_int(w, {c.bits, c.group_size, c.sym});

  at::Tensor want_qdq = golden(n + "/qdq");
  ASSERT_EQ(got.qdq.sizes(), want_qdq.sizes());
  ASSERT_EQ(got.qdq.scalar_type(), want_qdq.scalar_type());
  EXPECT_TRUE(at::equal(got.qdq, want_qdq)) << n << ": fake-quant weight differs";

  at::Tensor want_scale = golden(n + "/scale");
  ASSERT_EQ(got.scale.sizes(), want_scale.sizes());
  ASSERT_EQ(got.scale.scalar_type(), at::kHalf);
  EXPECT_TRUE(at::equal(got.scale, want_scale)) << n << ": scales differ";
  EXPECT_TRUE(at::equal(got.zp, golden(n + "/zp").to(at::kInt))) << n << ": zero points differ";
  // Upstream's packers re-derive codes from the fake-quant weight; ours come straight
  // from the quantizer. Both must agree.
  EXPECT_TRUE(at::equal(got.codes, golden(n + "/codes").to(at::kInt))) << n << ": codes differ";
  // Not vacuous: the grid is really used (sym reaches the bottom code -2^(b-1)).
  EXPECT_EQ(got.codes.max().item<int>() <= (1 << c.bits) - 1, true);
  if (c.sym) EXPECT_EQ(got.codes.min().item<int>(), 0) << n;
}

INSTANTIATE_TEST_SUITE_P(AutoRound, IntQdqGolden, ::testing::ValuesIn(kCases),
                         [](const auto& info) {
                           std::string s = info.param.name;
                           for (char& ch : s) if (ch == '-') ch = 'm';
                           return s;
                         });

TEST(IntQdq, SymScaleIsSignedTowardTheExtreme) {
  // Positive extreme dominates → negative scale, the extreme maps to code 0 (-maxq).
  at::Tensor w = at::tensor({0.5f, -0.1f, 0.2f, 0.0f}).reshape({1, 4});
  qdq::IntQdq r = qdq::qdq_int(w, {4, -1, true});
  EXPECT_LT(r.scale.item<float>(), 0.f);
  EXPECT_EQ(r.codes[0][0].item<int>(), 0);
  EXPECT_FLOAT_EQ(r.qdq[0][0].item<float>(), 0.5f);
}

TEST(IntQdq, TuningOffsetsMoveCodesAndCarryGradients) {
  at::Tensor w = golden_input("int_w4g32_sym");
  const int64_t groups = w.numel() / 32;
  at::Tensor v = at::full({groups, 32}, 0.49, at::kFloat).requires_grad_(true);
  at::Tensor alpha = at::ones({groups}, at::kFloat).requires_grad_(true);
  at::Tensor beta = at::ones({groups}, at::kFloat).requires_grad_(true);
  qdq::IntTuning tuning{v, alpha, beta, {}, {}};
  qdq::IntQdq tuned = qdq::qdq_int(w, {4, 32, true}, tuning);
  qdq::IntQdq rtn = qdq::qdq_int(w, {4, 32, true});
  EXPECT_GT((tuned.codes != rtn.codes).sum().item<int64_t>(), 0);
  (tuned.qdq - w).pow(2).sum().backward();
  ASSERT_TRUE(v.grad().defined());
  EXPECT_GT(v.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(alpha.grad().abs().sum().item<double>() + beta.grad().abs().sum().item<double>(), 0.0);
}

TEST(IntQdq, RejectsUnsupportedBits) {
  at::Tensor w = at::zeros({2, 32});
  EXPECT_THROW(qdq::qdq_int(w, {1, 32, true}), std::invalid_argument);
  EXPECT_THROW(qdq::qdq_int(w, {9, 32, true}), std::invalid_argument);
}

}  // namespace

namespace {

// SignRound's per-step qdq (upstream int_sym / int_asym with tensors V, α, β and the
// original weight's group min/max) must match bit for bit, or the tuner would optimise
// a different function.
void expect_tuning_case(const std::string& n, int bits, bool sym) {
  at::Tensor w = golden_input(n);
  qdq::IntTuning t{golden(n + "/v"), golden(n + "/alpha"), golden(n + "/beta"), golden(n + "/wmin"),
                   golden(n + "/wmax")};
  qdq::IntQdq got = qdq::qdq_int(w, {bits, 32, sym}, t);
  EXPECT_TRUE(at::equal(got.qdq, golden(n + "/qdq"))) << n;
  EXPECT_TRUE(at::equal(got.scale, golden(n + "/scale"))) << n;
  if (!sym) EXPECT_TRUE(at::equal(got.zp_float, golden(n + "/zp"))) << n;
  // The offsets matter: plain RTN gives other weights.
  EXPECT_FALSE(at::equal(qdq::qdq_int(w, {bits, 32, sym}).qdq, got.qdq)) << n;
}

TEST(IntQdqTuningGolden, SymWithOffsetsAndClipping) { expect_tuning_case("tune_w4g32_sym", 4, true); }
TEST(IntQdqTuningGolden, AsymWithOffsetsAndClipping) { expect_tuning_case("tune_w2g32_asym", 2, false); }

TEST(IntQdqGoldenFp32Scale, GgufStyleScaleDtype) {
  at::Tensor w = golden_input("fp32scale_w4g32_sym");
  qdq::IntQdq got = qdq::qdq_int(w, {4, 32, true, at::kFloat, 1e-8});
  ASSERT_EQ(got.scale.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(got.scale, golden("fp32scale_w4g32_sym/scale")));
  EXPECT_TRUE(at::equal(got.qdq, golden("fp32scale_w4g32_sym/qdq")));
}

}  // namespace
