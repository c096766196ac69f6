#include "autoscheme/explain.h"

#include <algorithm>

#include "autoscheme/resolve.h"
#include "dsl/suggest.h"
#include "engine/util/error.h"
#include "schemes/bits.h"

namespace arecipe::autoscheme {

namespace {

std::string field_value(const LayerPlan& l, Field f) {
  const schemes::Scheme& s = l.scheme;
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  switch (f) {
    case Field::keep: return b(l.keep);
    case Field::bits: return std::to_string(s.bits);
    case Field::group_size:
      return s.group_rows > 0 ? "[" + std::to_string(s.group_rows) + ", " + std::to_string(s.group_size) + "]"
                              : std::to_string(s.group_size);
    case Field::sym: return b(s.sym);
    case Field::data_type: return s.data_type;
    case Field::act_bits: return std::to_string(s.act_bits);
    case Field::act_group_size: return std::to_string(s.act_group_size);
    case Field::act_sym: return b(s.act_sym);
    case Field::act_data_type: return s.act_data_type;
    case Field::act_dynamic: return b(s.act_dynamic);
    case Field::super_bits: return std::to_string(s.super_bits);
    case Field::super_group_size: return std::to_string(s.super_group_size);
    default: return "";
  }
}

std::string closest_names(const Plan& plan, const std::string& name) {
  std::vector<std::pair<size_t, const std::string*>> scored;
  for (const auto& l : plan.layers) scored.push_back({dsl::edit_distance(name, l.layer.name), &l.layer.name});
  const size_t n = std::min<size_t>(3, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + n, scored.end());
  std::string out = "did you mean";
  for (size_t i = 0; i < n; ++i) out += (i ? ", '" : " '") + *scored[i].second + "'";
  return out + "?";
}

}  // namespace

std::string explain_layer(const dsl::Recipe& r, const Plan& plan, const std::string& name) {
  const LayerPlan* l = plan.find(name);
  if (!l) throw Error(name + ": no such layer in " + plan.inventory.architecture + " (" + closest_names(plan, name) + ")");
  const auto b = schemes::layer_bits(l->effective(), l->layer.out_features, l->layer.in_features);
  std::string out = l->layer.name + "  role " + role_name(l->layer.role) + ", block " + std::to_string(l->layer.block) +
                    ", " + std::to_string(l->layer.out_features) + " x " + std::to_string(l->layer.in_features) + "\n";
  char bits[96];
  std::snprintf(bits, sizeof bits, "%.4f bits/weight (%.4f without scale/zp bits)", b.bits_per_weight(),
                b.weight_bits_per_weight());
  out += "result: " + (l->keep ? std::string("kept in source precision") : l->scheme.label()) + ", " + bits + "\n\n";
  size_t w = 0;
  for (size_t f = 0; f < kFieldCount; ++f) w = std::max(w, std::string(field_name(static_cast<Field>(f))).size());
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    std::string n = field_name(field);
    if (!l->scheme.weight_only() || n.rfind("act_", 0) != 0 || field == Field::act_bits) {
      if (!l->scheme.is_gguf_k() && (field == Field::super_bits || field == Field::super_group_size)) continue;
      std::string v = field_value(*l, field);
      out += "  " + n + std::string(w - n.size(), ' ') + "  " + v + std::string(v.size() < 6 ? 6 - v.size() : 0, ' ') +
             "  " + field_origin(r, *l, field) + "\n";
    }
  }
  out += "\nrules, top to bottom (a later rule overrides only the fields it sets):\n";
  const dsl::LayerRef ref{l->layer.name, role_name(l->layer.role), l->layer.block};
  for (const auto& rule : r.rules) {
    const bool m = rule.match.matches(ref, plan.inventory.num_blocks);
    std::string what;
    if (rule.scheme) what += rule.scheme->preset ? "scheme " + rule.scheme->preset->value : "scheme fields";
    if (rule.keep) what += std::string(what.empty() ? "" : ", ") + "keep: " + (rule.keep->value ? "true" : "false");
    out += std::string(m ? "  matches  " : "  no       ") + rule.display() + "  match: " + rule.match.text() + " -> " +
           what + "\n";
  }
  return out;
}

}  // namespace arecipe::autoscheme
