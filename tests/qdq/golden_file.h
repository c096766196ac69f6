// Access to tests/qdq/golden/qdq_golden.safetensors (written by gen_golden.py).
#pragma once
#include <ATen/core/Tensor.h>

#include <string>

namespace arecipe::qdq_test {

// Tensor "<name>" in its stored dtype; fails the test (throws) when absent.
at::Tensor golden(const std::string& name);
bool has_golden(const std::string& name);
// The input weight of a case ("<case>/input" names one of weights/<id>).
at::Tensor golden_input(const std::string& case_name);

// Number of elements that differ by more than `ulps` units in the last place of
// float32 (both converted to fp32 first). Signed zeros compare equal.
int64_t count_ulp_mismatches(const at::Tensor& got, const at::Tensor& want, int64_t ulps);

}  // namespace arecipe::qdq_test
