// Deterministic test rows for the ggml encoders: distributions chosen to reach every
// branch of llama.cpp's searches (Gaussian, heavy tails with outliers, all-positive
// rows where the min clamps to 0, exact zeros and constant sub-blocks, tiny values near
// the fp16 subnormal range).
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace arecipe::test {

inline std::vector<std::string> row_kinds() { return {"gauss", "heavy", "positive", "sparse", "tiny", "mixed"}; }

inline std::vector<float> random_rows(const std::string& kind, int64_t rows, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> x(static_cast<size_t>(rows * n));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      float v = g(rng) * 0.02f;
      if (kind == "heavy") {
        v = g(rng) * 0.05f;
        if (u(rng) < 0.01f) v *= 40.f;
      } else if (kind == "positive") {
        v = std::fabs(g(rng)) + 0.1f;
      } else if (kind == "sparse") {
        // Whole 16-element groups of zeros or of one constant, else Gaussian.
        const int64_t grp = (i / 16) % 4;
        v = grp == 0 ? 0.f : grp == 1 ? 0.25f : g(rng);
      } else if (kind == "tiny") {
        v = g(rng) * 1e-6f;
      } else if (kind == "mixed") {
        v = g(rng) * std::exp(2.f * g(rng));
      }
      x[static_cast<size_t>(r * n + i)] = v;
    }
  }
  return x;
}

// Positive per-column importance like an imatrix (mean squared activations).
inline std::vector<float> random_importance(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::lognormal_distribution<float> ln(0.f, 1.5f);
  std::vector<float> w(static_cast<size_t>(n));
  for (auto& v : w) v = ln(rng);
  return w;
}

}  // namespace arecipe::test
