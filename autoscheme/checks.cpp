#include "autoscheme/checks.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "autoscheme/resolve.h"
#include "autoscheme/summary.h"
#include "schemes/formats.h"
#include "schemes/presets.h"
#include "schemes/validity.h"

namespace arecipe::autoscheme {

namespace {

std::string scheme_key(const schemes::Scheme& s) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%d/%d/%d/%d/%s/%d/%d/%d/%s/%d/%d/%d/%s", s.bits, s.group_size, s.group_rows,
                s.sym, s.data_type.c_str(), s.act_bits, s.act_group_size, s.act_sym, s.act_data_type.c_str(),
                s.act_dynamic, s.super_bits, s.super_group_size, s.gguf_type.c_str());
  return buf;
}

Field field_from_name(const std::string& name) {
  for (size_t i = 0; i < kFieldCount; ++i)
    if (name == field_name(static_cast<Field>(i))) return static_cast<Field>(i);
  return Field::bits;
}

// Points at the recipe line that set `f` on `l`; built-in decisions point at the
// recipe itself.
dsl::SourceLoc blame(const dsl::Recipe& r, const LayerPlan& l, Field f) {
  dsl::SourceLoc loc = field_location(r, l, f);
  if (!loc.known()) loc = r.scheme.loc;
  return loc;
}

std::string origin_hint(const dsl::Recipe& r, const LayerPlan& l, Field f) {
  return std::string(field_name(f)) + " set by " + field_origin(r, l, f);
}

void check_scheme_validity(const dsl::Recipe& r, const Plan& plan) {
  std::unordered_set<std::string> seen;
  for (const auto& l : plan.layers) {
    if (l.keep || !seen.insert(scheme_key(l.scheme)).second) continue;
    if (auto p = schemes::check_scheme(l.scheme)) {
      const Field f = field_from_name(p->field);
      dsl::fail_at(blame(r, l, f), "impossible scheme for " + l.layer.name + ": " + p->message,
                   origin_hint(r, l, f));
    }
  }
}

void check_formats(const dsl::Recipe& r, const Plan& plan) {
  for (const auto& ex : r.exports) {
    const auto fmt = *schemes::parse_export_format(ex.value);
    std::unordered_map<std::string, bool> holdable;
    const LayerPlan* first_quantized = nullptr;
    for (const auto& l : plan.layers) {
      if (l.keep) continue;
      const std::string key = scheme_key(l.scheme);
      auto it = holdable.find(key);
      if (it == holdable.end()) {
        if (auto why = schemes::cannot_hold(fmt, l.scheme)) {
          const Field f = l.source[static_cast<size_t>(Field::bits)] >= l.source[static_cast<size_t>(Field::data_type)]
                              ? Field::bits
                              : Field::data_type;
          dsl::fail_at(blame(r, l, f), "export " + fmt.name + " cannot hold " + l.layer.name + ": " + *why,
                       origin_hint(r, l, f) + "; " + fmt.name + " is listed at " + ex.loc.str());
        }
        holdable.emplace(key, true);
      }
      if (auto why = schemes::shape_problem(fmt, l.scheme, l.layer.out_features, l.layer.in_features))
        dsl::fail_at(blame(r, l, Field::group_size), l.layer.name + " (" + std::to_string(l.layer.out_features) + " x " +
                                                          std::to_string(l.layer.in_features) + "): " + *why,
                     origin_hint(r, l, Field::group_size) + "; keep the layer or pick another group size for it");
      if (schemes::requires_uniform_scheme(fmt)) {
        if (!first_quantized) {
          first_quantized = &l;
        } else if (l.scheme != first_quantized->scheme) {
          dsl::fail_at(blame(r, l, Field::bits),
                       "export " + fmt.name + " holds one scheme for all quantized layers, but " + l.layer.name +
                           " is " + l.scheme.label() + " while " + first_quantized->layer.name + " is " +
                           first_quantized->scheme.label(),
                       origin_hint(r, l, Field::bits));
        }
      }
    }
  }
}

// The fused projection a layer belongs to, as vLLM/SGLang load them: q/k/v
// (qkv_proj), MLA's q_a + kv_a (fused_qkv_a_proj), gate/up of an MLP, a shared expert
// or one routed expert (gate_up_proj). "" when the layer is not fused.
std::string fusion_key(const LayerInfo& l) {
  const size_t dot = l.name.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : l.name.substr(0, dot + 1);
  const std::string leaf = dot == std::string::npos ? l.name : l.name.substr(dot + 1);
  if (leaf == "q_proj" || leaf == "k_proj" || leaf == "v_proj") return parent + "{q,k,v}_proj";
  if (leaf == "q_a_proj" || leaf == "kv_a_proj_with_mqa") return parent + "{q_a_proj,kv_a_proj_with_mqa}";
  if (leaf == "gate_proj" || leaf == "up_proj") return parent + "{gate,up}_proj";
  return "";
}

bool any_export_fuses(const dsl::Recipe& r) {
  for (const auto& ex : r.exports)
    if (schemes::fuses_projections(*schemes::parse_export_format(ex.value))) return true;
  return false;
}

void check_ties(const dsl::Recipe& r, const Plan& plan) {
  for (const auto& group : tie_groups(r, plan)) {
    const LayerPlan& a = plan.layers[group.front()];
    for (size_t i = 1; i < group.size(); ++i) {
      const LayerPlan& b = plan.layers[group[i]];
      if (a.keep == b.keep && (a.keep || a.scheme == b.scheme)) continue;
      // Blame whichever layer a later rule changed.
      const auto last_rule = [](const LayerPlan& l) { return *std::max_element(l.source.begin(), l.source.end()); };
      const LayerPlan& odd = last_rule(b) >= last_rule(a) ? b : a;
      const LayerPlan& other = &odd == &b ? a : b;
      const Field f = a.keep != b.keep ? Field::keep : Field::bits;
      const auto shown = [](const LayerPlan& l) { return l.keep ? std::string("kept") : l.scheme.label(); };
      const std::string why = r.tie.mode == dsl::TieSpec::Mode::groups
                                  ? "the recipe's tie: groups require one scheme per group"
                                  : "the export format fuses these projections into one kernel";
      dsl::fail_at(blame(r, odd, f),
                   "tie group broken: " + odd.layer.name + " is " + shown(odd) + " but " + other.layer.name + " is " +
                       shown(other) + " (" + why + ")",
                   origin_hint(r, odd, f) + "; " + origin_hint(r, other, f) +
                       "; give the whole group one scheme, or set tie: none");
    }
  }
}

void check_target(const dsl::Recipe& r, Plan& plan) {
  if (!r.target) return;
  const auto& t = *r.target;
  for (const auto& ex : r.exports)
    if (t.options.size() > 1 && schemes::requires_uniform_scheme(*schemes::parse_export_format(ex.value)))
      dsl::fail_at(ex.loc, "export " + ex.value + " holds one scheme for all quantized layers, so a target cannot mix "
                   "options", "drop the target, or export a format that holds mixed schemes (auto_round)");
  for (const auto& opt : t.options) {
    const schemes::Scheme s = *schemes::find_preset(opt.value);
    for (const auto& ex : r.exports)
      if (auto why = schemes::cannot_hold(*schemes::parse_export_format(ex.value), s))
        dsl::fail_at(opt.loc, "target option " + opt.value + ": " + *why);
  }
  size_t free_layers = 0;
  for (const auto& l : plan.layers) free_layers += (!l.pinned && !l.keep);
  if (free_layers == 0) {
    plan.warnings.push_back({t.loc, "target has nothing to choose: every layer is pinned by a rule or kept"});
    return;
  }
  double lo = 1e9, hi = 0;
  for (const auto& opt : t.options) {
    const double b = average_bits_with(plan, *schemes::find_preset(opt.value), t.count_scale_bits.value);
    lo = std::min(lo, b), hi = std::max(hi, b);
  }
  plan.target_min_bits = lo, plan.target_max_bits = hi;
  if (t.avg_bits.value < lo - 1e-9 || t.avg_bits.value > hi + 1e-9) {
    char range[96];
    std::snprintf(range, sizeof range, "%.4f to %.4f", lo, hi);
    dsl::fail_at(t.avg_bits.loc, "avg_bits " + std::to_string(t.avg_bits.value).substr(0, 6) +
                                     " is out of reach: with these options and the pinned layers the average is " + range,
                 "widen options:, or pin fewer layers");
  }
}

}  // namespace

std::vector<std::vector<size_t>> tie_groups(const dsl::Recipe& r, const Plan& plan) {
  std::vector<std::vector<size_t>> groups;
  if (r.tie.mode == dsl::TieSpec::Mode::none) return groups;
  if (r.tie.mode == dsl::TieSpec::Mode::auto_) {
    if (!any_export_fuses(r)) return groups;
    std::unordered_map<std::string, size_t> index;
    for (size_t i = 0; i < plan.layers.size(); ++i) {
      const std::string key = fusion_key(plan.layers[i].layer);
      if (key.empty()) continue;
      auto [it, fresh] = index.emplace(key, groups.size());
      if (fresh) groups.emplace_back();
      groups[it->second].push_back(i);
    }
  } else {
    // Explicit groups apply per block (like upstream's shared_layers): the layers of
    // one block that match any selector of the group share a scheme.
    const int nb = plan.inventory.num_blocks;
    for (const auto& selectors : r.tie.groups) {
      std::map<int, std::vector<size_t>> by_block;
      for (size_t i = 0; i < plan.layers.size(); ++i) {
        const auto& l = plan.layers[i].layer;
        const dsl::LayerRef ref{l.name, role_name(l.role), l.block};
        for (const auto& s : selectors)
          if (s.matches(ref, nb)) {
            by_block[l.block].push_back(i);
            break;
          }
      }
      for (auto& [b, members] : by_block) groups.push_back(std::move(members));
    }
  }
  groups.erase(std::remove_if(groups.begin(), groups.end(), [](const auto& g) { return g.size() < 2; }), groups.end());
  return groups;
}

// Upstream keeps int weight-only layers whose in/out features are not multiples of 32
// in 16 bits (spec 1.9; the GPTQ/AWQ packers need them), whatever the format. Layers
// that got their scheme from the default scheme follow upstream, with one warning; a
// rule that names such a layer explicitly still gets the error from check_formats.
void keep_unpackable_int_layers(const dsl::Recipe& r, Plan& plan) {
  bool gguf_only = !r.exports.empty();
  for (const auto& ex : r.exports)
    gguf_only = gguf_only && schemes::parse_export_format(ex.value)->kind == schemes::FormatKind::gguf;
  if (gguf_only) return;
  std::vector<std::string> kept;
  const LayerPlan* first = nullptr;
  for (auto& l : plan.layers) {
    const bool named_by_rule = l.pinned || l.source[static_cast<size_t>(Field::keep)] >= 1;
    if (l.keep || named_by_rule || l.scheme.is_gguf() || l.scheme.data_type != "int" || !l.scheme.weight_only()) continue;
    if (l.layer.in_features % 32 == 0 && l.layer.out_features % 32 == 0) continue;
    l.keep = true;
    if (!first) first = &l;
    kept.push_back(l.layer.name + " (" + std::to_string(l.layer.out_features) + " x " +
                   std::to_string(l.layer.in_features) + ")");
  }
  if (kept.empty()) return;
  std::string list;
  for (size_t i = 0; i < kept.size() && i < 3; ++i) list += (i ? ", " : "") + kept[i];
  if (kept.size() > 3) list += " and " + std::to_string(kept.size() - 3) + " more";
  plan.warnings.push_back({blame(r, *first, Field::bits),
                           std::to_string(kept.size()) + " int layer(s) kept in 16 bits because in/out features are "
                           "not multiples of 32, as upstream does: " + list});
}

void check_allocated(const dsl::Recipe& recipe, const Plan& plan) {
  check_scheme_validity(recipe, plan);
  check_formats(recipe, plan);
  check_ties(recipe, plan);
}

void run_checks(const dsl::Recipe& recipe, Plan& plan) {
  check_scheme_validity(recipe, plan);
  keep_unpackable_int_layers(recipe, plan);
  check_formats(recipe, plan);
  check_ties(recipe, plan);
  check_target(recipe, plan);
}

}  // namespace arecipe::autoscheme
