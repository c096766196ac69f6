// Tensor shapes in error messages: "[4096, 11008]".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace arecipe {

inline std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace arecipe
