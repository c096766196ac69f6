#include "engine/probe/inactive_experts.h"

#include <cctype>
#include <cmath>
#include <map>
#include <optional>

namespace arecipe::probe {
namespace {

constexpr double kZero = 1e-12;  // upstream's _ZERO_EPS

// "model.layers.3.mlp.experts.17.up_proj" -> "model.layers.3.mlp.experts.17" (upstream's
// _EXPERT_ID_PATTERN: the first ".experts.<digits>" followed by '.' or the end).
std::optional<std::string> expert_key(const std::string& name) {
  const std::string marker = ".experts.";
  for (size_t at = name.find(marker); at != std::string::npos; at = name.find(marker, at + 1)) {
    size_t end = at + marker.size();
    const size_t digits = end;
    while (end < name.size() && std::isdigit(static_cast<unsigned char>(name[end]))) ++end;
    if (end > digits && (end == name.size() || name[end] == '.')) return name.substr(0, end);
  }
  return std::nullopt;
}

struct Expert {
  std::vector<size_t> layers;
  bool active = false;
};

}  // namespace

void fill_inactive_expert_scores(const std::vector<std::string>& names, std::vector<double>& scores) {
  // block ("model.layers.3.mlp") -> expert key -> its layers, in name order
  std::map<std::string, std::map<std::string, Expert>> blocks;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!std::isfinite(scores[i])) continue;
    const std::optional<std::string> key = expert_key(names[i]);
    if (!key) continue;
    Expert& e = blocks[key->substr(0, key->rfind(".experts."))][*key];
    e.layers.push_back(i);
    if (std::abs(scores[i]) >= kZero) e.active = true;
  }
  for (auto& [block, experts] : blocks) {
    double sum = 0;
    int active = 0;
    for (const auto& [key, e] : experts) {
      if (!e.active) continue;
      double s = 0;
      int n = 0;
      for (size_t i : e.layers)
        if (std::abs(scores[i]) >= kZero) s += scores[i], ++n;
      sum += s / n;
      ++active;
    }
    if (active == 0) continue;
    for (const auto& [key, e] : experts)
      if (!e.active)
        for (size_t i : e.layers) scores[i] = sum / active;
  }
}

}  // namespace arecipe::probe
