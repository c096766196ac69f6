#include "tests/qdq/golden_file.h"

#include <ATen/ATen.h>

#include <memory>
#include <stdexcept>

#include "engine/io/safetensors.h"
#include "engine/model/tensor_convert.h"

namespace arecipe::qdq_test {
namespace {

const SafetensorsFile& file() {
  static const auto f =
      std::make_unique<SafetensorsFile>(std::string(ARECIPE_SOURCE_DIR) + "/tests/qdq/golden/qdq_golden.safetensors");
  return *f;
}

}  // namespace

bool has_golden(const std::string& name) { return file().find(name) != nullptr; }

at::Tensor golden(const std::string& name) {
  const TensorInfo* info = file().find(name);
  if (info == nullptr) throw std::runtime_error("golden fixture lacks tensor " + name);
  at::ScalarType stored = at::kFloat;
  switch (info->dtype) {
    case DType::F16: stored = at::kHalf; break;
    case DType::BF16: stored = at::kBFloat16; break;
    case DType::I32: stored = at::kInt; break;
    case DType::I64: stored = at::kLong; break;
    case DType::U8: stored = at::kByte; break;
    default: break;
  }
  return to_tensor(file().view(*info), stored);
}

at::Tensor golden_input(const std::string& case_name) {
  at::Tensor id = golden(case_name + "/input");
  std::string key(reinterpret_cast<const char*>(id.data_ptr<uint8_t>()), id.numel());
  return golden("weights/" + key);
}

int64_t count_ulp_mismatches(const at::Tensor& got, const at::Tensor& want, int64_t ulps) {
  at::Tensor a = got.to(at::kFloat).contiguous();
  at::Tensor b = want.to(at::kFloat).contiguous();
  // Map fp32 bit patterns to a monotonic integer line; ±0 both map to 0.
  auto ordered = [](const at::Tensor& x) {
    at::Tensor bits = x.view(at::kInt).to(at::kLong);
    return at::where(bits < 0, -(bits & 0x7fffffff), bits);
  };
  return ((ordered(a) - ordered(b)).abs() > ulps).sum().item<int64_t>();
}

}  // namespace arecipe::qdq_test
