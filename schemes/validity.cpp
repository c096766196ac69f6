#include "schemes/validity.h"

namespace arecipe::schemes {

std::optional<SchemeProblem> check_scheme(const Scheme& s) {
  const std::string b = std::to_string(s.bits);
  if (s.is_unquantized()) return std::nullopt;
  if (s.data_type == "float")
    return SchemeProblem{"data_type", "data_type float means unquantized (bits 16), but bits is " + b};
  if (s.data_type == "mx_fp" && s.bits != 4 && s.bits != 6 && s.bits != 8)
    return SchemeProblem{"bits", "mx_fp exists with 4, 6 or 8 bits, not " + b};
  if ((s.data_type == "nv_fp" || s.data_type == "nvfp4_v2" || s.data_type == "mx_int") && s.bits != 4)
    return SchemeProblem{"bits", s.data_type + " exists only with 4 bits, not " + b};
  if (s.data_type == "fp" && s.bits != 8) return SchemeProblem{"bits", "fp weights are fp8 (bits 8), not bits " + b};
  if (s.data_type == "mx_fp" || s.data_type == "mx_int") {
    if (s.group_size != 32) return SchemeProblem{"group_size", s.data_type + " uses blocks of 32, not group_size " + std::to_string(s.group_size)};
  }
  if ((s.data_type == "nv_fp" || s.data_type == "nvfp4_v2") && s.group_size != 16 &&
      !(s.data_type == "nvfp4_v2" && s.group_size == 32))
    return SchemeProblem{"group_size", s.data_type + " uses blocks of 16, not group_size " + std::to_string(s.group_size)};
  if (s.group_size < -1) return SchemeProblem{"group_size", "group_size must be -1, 0 or positive"};
  if (!s.weight_only() && s.act_bits > 8) return SchemeProblem{"act_bits", "act_bits must be at most 8, or 16 (unquantized)"};
  return std::nullopt;
}

}  // namespace arecipe::schemes
