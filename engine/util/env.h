// Environment variables as values: "" when unset, and the HF convention for flags.
#pragma once

#include <cctype>
#include <cstdlib>
#include <string>

namespace arecipe {

inline std::string env_var(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// 1/ON/YES/TRUE in any case, as huggingface_hub reads HF_HUB_OFFLINE and friends.
inline bool env_flag(const char* name) {
  std::string v = env_var(name);
  for (auto& c : v) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

}  // namespace arecipe
