// FP8 (e4m3fn) fake-quant and its packing vs auto-round 0.16.1 (gen_fp8_golden.py):
// quant_fp8_sym per tensor / per channel and quant_block_fp_sym 128x128 blocks on
// fp32, bf16 and fp16 weights, then export_to_fp8.pack_layer. Everything must be
// bit-identical: weights, scales (and their dtypes), float8 bytes.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <ostream>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"
#include "exporters/fp_packing.h"
#include "schemes/qdq/float8.h"
#include "schemes/qdq/fp8.h"

using namespace arecipe;

namespace {

const SafetensorsFile& fixture() {
  static const auto f = std::make_unique<SafetensorsFile>(std::string(ARECIPE_SOURCE_DIR) +
                                                          "/tests/qdq/golden/fp8_golden.safetensors");
  return *f;
}

at::Tensor load(const std::string& name) {
  const TensorInfo* info = fixture().find(name);
  if (info == nullptr) throw std::runtime_error("fp8 golden lacks " + name);
  at::ScalarType t = at::kFloat;
  if (info->dtype == DType::BF16) t = at::kBFloat16;
  if (info->dtype == DType::F16) t = at::kHalf;
  if (info->dtype == DType::U8) t = at::kByte;
  return to_tensor(fixture().view(*info), t);
}

struct Fp8Case {
  const char* name;
  const char* input;
  int64_t group_size, group_rows;
};
[[maybe_unused]] void PrintTo(const Fp8Case& c, std::ostream* os) { *os << c.name; }

// Same dtype, same shape, same bits (signed zeros included).
void expect_identical(const at::Tensor& got, const at::Tensor& want, const std::string& what) {
  ASSERT_EQ(got.scalar_type(), want.scalar_type()) << what;
  ASSERT_EQ(got.sizes(), want.sizes()) << what;
  const at::ScalarType bits_type = got.element_size() == 4 ? at::kInt : got.element_size() == 2 ? at::kShort : at::kByte;
  at::Tensor a = got.contiguous().view(bits_type), b = want.contiguous().view(bits_type);
  EXPECT_EQ((a != b).sum().item<int64_t>(), 0) << what;
  if (getenv("FP8_DEBUG")) {
    at::Tensor idx = (a != b).reshape({-1}).nonzero();
    for (int64_t i = 0; i < std::min<int64_t>(idx.size(0), 6); ++i) {
      int64_t j = idx[i][0].item<int64_t>();
      std::cerr << what << " @" << j << " got " << got.reshape({-1})[j].item<double>() << " want " << want.reshape({-1})[j].item<double>() << "\n";
    }
  }
}

class Fp8Golden : public ::testing::TestWithParam<Fp8Case> {};

TEST_P(Fp8Golden, QdqAndPackingMatchAutoRound) {
  const Fp8Case& c = GetParam();
  const std::string n = c.name;
  at::Tensor w = load(std::string("weights/") + c.input);
  qdq::Fp8Qdq r = qdq::qdq_fp8(w, c.group_size, c.group_rows);
  expect_identical(r.qdq, load(n + "/qdq"), n + " qdq");
  expect_identical(r.scale, load(n + "/scale"), n + " scale");
  EXPECT_GT((r.qdq != w).sum().item<int64_t>(), 0) << "qdq must change the weight";

  exporters::PackedFpLayer p = exporters::pack_fp8(r.qdq, r.scale, c.group_size, c.group_rows);
  expect_identical(p.weight, load(n + "/packed_weight"), n + " float8 weight bytes");
  expect_identical(p.scale, load(n + "/packed_scale"), n + " stored scale");
}

INSTANTIATE_TEST_SUITE_P(
    AutoRound, Fp8Golden,
    ::testing::Values(Fp8Case{"tensor_f32", "random_f32", 0, 0}, Fp8Case{"channel_f32", "random_f32", -1, 0},
                      Fp8Case{"block_f32", "random_f32", 128, 128}, Fp8Case{"tensor_bf16", "random_bf16", 0, 0},
                      Fp8Case{"channel_bf16", "random_bf16", -1, 0},
                      Fp8Case{"block_bf16", "random_bf16", 128, 128}, Fp8Case{"tensor_f16", "random_f16", 0, 0},
                      Fp8Case{"channel_f16", "random_f16", -1, 0}, Fp8Case{"block_f16", "random_f16", 128, 128},
                      Fp8Case{"block_stories_down_f32", "stories_down", 128, 128},
                      Fp8Case{"channel_stories_down_f32", "stories_down", -1, 0}),
    [](const ::testing::TestParamInfo<Fp8Case>& i) { return std::string(i.param.name); });

TEST(Float8Encode, EveryFiniteByteRoundTrips) {
  for (int b = 0; b < 256; ++b) {
    if ((b & 0x7f) == 0x7f) continue;  // NaN
    const float v = f8_e4m3fn_to_float(static_cast<uint8_t>(b));
    EXPECT_EQ(exporters::float_to_e4m3fn(v), b) << "byte " << b << " value " << v;
  }
}

TEST(Float8Encode, MidpointsRoundHalfToEvenAndAgreeWithTheQdqRounding) {
  // Between consecutive positive codes b and b+1 the midpoint goes to the even code.
  for (int b = 0; b < 0x7e; ++b) {
    const float lo = f8_e4m3fn_to_float(static_cast<uint8_t>(b)), hi = f8_e4m3fn_to_float(static_cast<uint8_t>(b + 1));
    const float mid = (lo + hi) / 2;
    EXPECT_EQ(exporters::float_to_e4m3fn(mid), (b % 2 == 0) ? b : b + 1) << "between " << lo << " and " << hi;
    EXPECT_EQ(exporters::float_to_e4m3fn(-mid), 0x80 | ((b % 2 == 0) ? b : b + 1));
  }
  EXPECT_EQ(exporters::float_to_e4m3fn(464.0f), 0x7e);  // tie between 448 and 480 → 448 (even)
  EXPECT_EQ(exporters::float_to_e4m3fn(470.0f), 0x7f);  // rounds past 448: NaN, as torch
  EXPECT_EQ(exporters::float_to_e4m3fn(-0.0f), 0x80);
  at::Tensor x = at::randn({4096}, at::TensorOptions().dtype(at::kFloat)) * 50;
  x = at::clamp(x, -448, 448);
  at::Tensor bytes = exporters::encode_e4m3fn(x);
  at::Tensor rounded = qdq::round_to_float8_e4m3fn(x);
  for (int64_t i = 0; i < x.numel(); ++i)
    ASSERT_EQ(f8_e4m3fn_to_float(bytes[i].item<uint8_t>()), rounded[i].item<float>()) << x[i].item<float>();
}

TEST(Fp4Pack, NibblesHoldSignAndE2m1IndexLowFirst) {
  at::Tensor x = at::tensor({0.0f, -0.0f, 0.5f, -6.0f, 1.5f, 3.0f, -4.0f, 2.0f}).reshape({2, 4});
  at::Tensor p = exporters::pack_fp4_to_uint8(x);
  ASSERT_EQ(p.sizes(), (std::vector<int64_t>{2, 2}));
  // (0, -0) → 0x80; (0.5, -6) → 1 | (8|7)<<4; (1.5, 3) → 3 | 5<<4; (-4, 2) → (8|6) | 4<<4
  EXPECT_EQ(p[0][0].item<uint8_t>(), 0x80);
  EXPECT_EQ(p[0][1].item<uint8_t>(), 0xf1);
  EXPECT_EQ(p[1][0].item<uint8_t>(), 0x53);
  EXPECT_EQ(p[1][1].item<uint8_t>(), 0x4e);
}

}  // namespace
