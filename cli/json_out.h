// --json output: one JSON object on stdout, nothing else there.
#pragma once
#include <iostream>
#include <nlohmann/json.hpp>

namespace arecipe::cli {
inline void print_json(const nlohmann::ordered_json& j) { std::cout << j.dump(2) << std::endl; }
}  // namespace arecipe::cli
