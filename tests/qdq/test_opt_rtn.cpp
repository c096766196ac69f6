// Optimized RTN (int sym scale search) vs auto-round's opt_rtn_int_sym.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <ostream>

#include "schemes/qdq/int_qdq.h"
#include "schemes/qdq/opt_rtn_int.h"
#include "tests/qdq/golden_file.h"

using namespace arecipe;
using namespace arecipe::qdq_test;

namespace {

struct OptCase {
  const char* name;
  int bits;
};
// Printed by gtest (and so in ctest's test names): the case name, not raw bytes.
[[maybe_unused]] void PrintTo(const OptCase& c, std::ostream* os) { *os << c.name; }

class OptRtnGolden : public ::testing::TestWithParam<OptCase> {};

TEST_P(OptRtnGolden, BitIdenticalToAutoRound) {
  const std::string n = GetParam().name;
  at::Tensor w = golden_input(n);
  at::Tensor imatrix = has_golden(n + "/imatrix") ? golden(n + "/imatrix") : at::Tensor();
  qdq::IntQdq got = qdq::qdq_int_opt_rtn(w, {GetParam().bits, 32, true}, imatrix);
  at::Tensor want_scale = golden(n + "/scale");
  ASSERT_EQ(got.scale.sizes(), want_scale.sizes());
  EXPECT_EQ(count_ulp_mismatches(got.scale, want_scale, 0), 0) << n;
  EXPECT_TRUE(at::equal(got.qdq, golden(n + "/qdq"))) << n;
  // The search must actually move scales away from plain RTN somewhere.
  qdq::IntQdq rtn = qdq::qdq_int(w, {GetParam().bits, 32, true, at::kFloat, 1e-5});
  EXPECT_FALSE(at::equal(rtn.scale, got.scale.to(at::kFloat)));
}

INSTANTIATE_TEST_SUITE_P(AutoRound, OptRtnGolden,
                         ::testing::Values(OptCase{"optrtn_w4g32", 4}, OptCase{"optrtn_w4g32_imatrix", 4},
                                           OptCase{"optrtn_w2g32_imatrix", 2},
                                           OptCase{"optrtn_w3g32_imatrix_zeros", 3},
                                           OptCase{"optrtn_stories_down_w4g32", 4}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
