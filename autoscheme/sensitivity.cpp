#include "autoscheme/sensitivity.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "engine/util/error.h"

namespace arecipe::autoscheme {

std::string sensitivity_to_json(const SensitivityTable& t) {
  nlohmann::json j;
  j["method"] = t.method;
  j["options"] = t.options;
  j["scores"] = nlohmann::json::object();
  for (const auto& [name, row] : t.scores) j["scores"][name] = row;
  return j.dump(1) + "\n";
}

SensitivityTable sensitivity_from_json(const std::string& text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail(origin, std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) fail(origin, "expected an object with method, options and scores");
  SensitivityTable t;
  if (j.contains("method")) {
    if (!j["method"].is_string()) fail(origin, "method: expected a string");
    t.method = j["method"].get<std::string>();
  }
  if (!j.contains("options") || !j["options"].is_array() || j["options"].empty())
    fail(origin, "options: expected a non-empty list of option names");
  for (const auto& o : j["options"]) {
    if (!o.is_string()) fail(origin, "options: expected strings");
    t.options.push_back(o.get<std::string>());
  }
  if (!j.contains("scores") || !j["scores"].is_object()) fail(origin, "scores: expected an object layer -> [scores]");
  for (const auto& [name, row] : j["scores"].items()) {
    if (!row.is_array() || row.size() != t.options.size())
      fail(origin, "scores." + name + ": expected " + std::to_string(t.options.size()) + " numbers, one per option");
    std::vector<double> v;
    for (const auto& x : row) {
      if (!x.is_number()) fail(origin, "scores." + name + ": expected numbers");
      const double d = x.get<double>();
      if (!std::isfinite(d) || d < 0) fail(origin, "scores." + name + ": scores must be finite and >= 0");
      v.push_back(d);
    }
    t.scores.emplace(name, std::move(v));
  }
  return t;
}

}  // namespace arecipe::autoscheme
