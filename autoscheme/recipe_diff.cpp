#include "autoscheme/recipe_diff.h"

#include <cstdio>
#include <map>

#include "autoscheme/resolve.h"
#include "engine/util/error.h"

namespace arecipe::autoscheme {

namespace {

std::string shown(const LayerPlan& l) { return l.keep ? "keep" : l.scheme.label(); }

std::string fold(const std::string& name) {
  const std::string marker = ".experts.";
  const size_t at = name.find(marker);
  if (at == std::string::npos) return name;
  size_t end = at + marker.size();
  while (end < name.size() && isdigit(static_cast<unsigned char>(name[end]))) ++end;
  return name.substr(0, at + marker.size()) + "*" + name.substr(end);
}

template <typename T>
std::string opt(const std::optional<dsl::Located<T>>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>) return v->value;
  else if constexpr (std::is_same_v<T, bool>) return v->value ? "true" : "false";
  else {
    std::string s = std::to_string(v->value);
    return s;
  }
}

std::map<std::string, std::string> settings(const dsl::Recipe& r) {
  std::map<std::string, std::string> s;
  s["model"] = opt(r.model);
  s["output"] = r.output.value;
  s["device"] = r.device.value;
  s["tuning.preset"] = opt(r.tuning.preset);
  s["tuning.iters"] = opt(r.tuning.iters);
  s["tuning.nsamples"] = opt(r.tuning.nsamples);
  s["tuning.seqlen"] = opt(r.tuning.seqlen);
  s["tuning.batch_size"] = opt(r.tuning.batch_size);
  s["tuning.lr"] = opt(r.tuning.lr);
  s["tuning.enable_alg_ext"] = opt(r.tuning.enable_alg_ext);
  std::string ex, cal;
  for (const auto& e : r.exports) ex += (ex.empty() ? "" : ", ") + e.value;
  for (const auto& c : r.calibration)
    cal += (cal.empty() ? "" : ", ") + (c.dataset ? c.dataset->value : c.file ? c.file->value : "?");
  s["export"] = "[" + ex + "]";
  s["calibration"] = "[" + cal + "]";
  s["target.avg_bits"] = r.target ? std::to_string(r.target->avg_bits.value) : "-";
  return s;
}

}  // namespace

std::string diff_plans(const PlannedSide& a, const PlannedSide& b) {
  if (a.plan.inventory.architecture != b.plan.inventory.architecture ||
      a.plan.layers.size() != b.plan.layers.size())
    throw Error("diff: the two plans are for different models (" + a.plan.inventory.architecture + ", " +
                std::to_string(a.plan.layers.size()) + " layers vs " + b.plan.inventory.architecture + ", " +
                std::to_string(b.plan.layers.size()) + " layers)");
  std::string out;
  // Layers: one line per changed layer; routed experts of a block fold into one line.
  struct Change {
    std::string from, to, why_a, why_b;
    size_t count = 0;
  };
  std::vector<std::pair<std::string, Change>> changes;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < a.plan.layers.size(); ++i) {
    const LayerPlan& la = a.plan.layers[i];
    const LayerPlan& lb = b.plan.layers[i];
    if (la.keep == lb.keep && (la.keep || la.scheme == lb.scheme)) continue;
    const Field f = la.keep || lb.keep ? Field::keep : Field::bits;
    Change c{shown(la), shown(lb), field_origin(a.recipe, la, f), field_origin(b.recipe, lb, f), 1};
    const std::string key = fold(la.layer.name);
    const std::string id = key + "|" + c.from + "|" + c.to + "|" + c.why_a + "|" + c.why_b;
    auto it = index.find(id);
    if (it != index.end()) {
      changes[it->second].second.count++;
      continue;
    }
    index[id] = changes.size();
    changes.push_back({key, c});
  }
  for (const auto& [name, c] : changes)
    out += name + (c.count > 1 ? " x" + std::to_string(c.count) : "") + ": " + c.from + " -> " + c.to + "\n    A: " +
           c.why_a + "\n    B: " + c.why_b + "\n";
  const Summary& sa = a.plan.summary;
  const Summary& sb = b.plan.summary;
  if (!changes.empty()) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "average bits/weight: %.4f -> %.4f (weights only %.4f -> %.4f)\n", sa.avg_bits,
                  sb.avg_bits, sa.avg_weight_bits, sb.avg_weight_bits);
    out += buf;
  }
  const auto set_a = settings(a.recipe), set_b = settings(b.recipe);
  for (const auto& [k, va] : set_a) {
    const std::string& vb = set_b.at(k);
    if (va != vb) out += k + ": " + va + " -> " + vb + "\n";
  }
  return out;
}

}  // namespace arecipe::autoscheme
