#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/model/tensor_convert.h"

using namespace arecipe;

TEST(Float8, E4M3FnKnownValues) {
  EXPECT_EQ(f8_e4m3fn_to_float(0x00), 0.0f);
  EXPECT_EQ(f8_e4m3fn_to_float(0x38), 1.0f);     // exp 7, man 0
  EXPECT_EQ(f8_e4m3fn_to_float(0x7e), 448.0f);   // largest finite
  EXPECT_EQ(f8_e4m3fn_to_float(0xb8), -1.0f);
  EXPECT_EQ(f8_e4m3fn_to_float(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_TRUE(std::isnan(f8_e4m3fn_to_float(0x7f)));
}

TEST(Float8, E5M2KnownValues) {
  EXPECT_EQ(f8_e5m2_to_float(0x3c), 1.0f);
  EXPECT_EQ(f8_e5m2_to_float(0x7b), 57344.0f);
  EXPECT_TRUE(std::isinf(f8_e5m2_to_float(0x7c)));
  EXPECT_TRUE(std::isnan(f8_e5m2_to_float(0x7f)));
}

TEST(ToTensor, ConvertsBf16AndHandlesUnalignedBytes) {
  // 1.5 in bf16 is 0x3fc0; place it at an odd address.
  alignas(4) uint8_t buf[5] = {0, 0xc0, 0x3f, 0xc0, 0xbf};
  TensorInfo info{"x", DType::BF16, {2}, 0, 4};
  at::Tensor t = to_tensor({&info, buf + 1});
  EXPECT_EQ(t[0].item<float>(), 1.5f);
  EXPECT_EQ(t[1].item<float>(), -1.5f);
}
