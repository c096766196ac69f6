// Helpers shared by the text tests: locating fixtures and reading golden JSON files.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "engine/util/files.h"

namespace arecipe::test {

// Shared fixtures live beside the repository (tests run from the repository root).
inline std::string shared_path(const std::string& rel) { return "../shared/" + rel; }

inline nlohmann::json read_golden(const std::string& name) {
  return nlohmann::json::parse(read_text_file("tests/text/golden/" + name));
}

inline std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

}  // namespace arecipe::test
