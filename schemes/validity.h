// Whether a scheme's fields make sense together, independent of any format:
// "mx_fp with bits 3" or "nv_fp with group_size 128" is no number anyone can store.
#pragma once
#include <optional>
#include <string>

#include "schemes/scheme.h"

namespace arecipe::schemes {

// The problem and the field to blame ("bits", "group_size", ...), or nullopt.
struct SchemeProblem {
  std::string field;
  std::string message;
};
std::optional<SchemeProblem> check_scheme(const Scheme& s);

}  // namespace arecipe::schemes
