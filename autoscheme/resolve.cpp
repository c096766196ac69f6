#include "autoscheme/resolve.h"

#include <cstring>

#include "autoscheme/checks.h"
#include "autoscheme/summary.h"
#include "dsl/scheme_spec.h"

namespace arecipe::autoscheme {

namespace {

constexpr const char* kFieldNames[kFieldCount] = {
    "keep",    "bits",          "group_size",  "sym",        "data_type",       "act_bits",
    "act_group_size", "act_sym", "act_data_type", "act_dynamic", "super_bits", "super_group_size"};

Field field_of(const char* name) {
  for (size_t i = 0; i < kFieldCount; ++i)
    if (std::strcmp(kFieldNames[i], name) == 0) return static_cast<Field>(i);
  return Field::count;
}

// What one scheme spec does to any layer it reaches, computed once per rule.
struct Patch {
  schemes::Scheme values;
  std::array<bool, kFieldCount> sets{};
  bool has_preset = false;
  bool has_explicit = false;
};

Patch make_patch(const dsl::SchemeSpec& spec) {
  Patch p;
  p.has_preset = spec.preset.has_value();
  dsl::apply_scheme_spec(spec, p.values, [&](const char* name, const dsl::SourceLoc&) {
    Field f = field_of(name);
    if (f != Field::count) p.sets[static_cast<size_t>(f)] = true;
  });
  const auto& x = spec.fields;
  p.has_explicit = x.bits || x.group_size || x.sym || x.data_type || x.act_bits || x.act_group_size ||
                   x.act_sym || x.act_data_type || x.act_dynamic || x.super_bits || x.super_group_size;
  return p;
}

void apply_patch(const Patch& p, int rule, LayerPlan& l) {
  schemes::Scheme& s = l.scheme;
  const schemes::Scheme& v = p.values;
  auto take = [&](Field f, auto& dst, const auto& src) {
    if (!p.sets[static_cast<size_t>(f)]) return;
    dst = src;
    l.source[static_cast<size_t>(f)] = rule;
  };
  take(Field::bits, s.bits, v.bits);
  take(Field::group_size, s.group_size, v.group_size);
  if (p.sets[static_cast<size_t>(Field::group_size)]) s.group_rows = v.group_rows;
  take(Field::sym, s.sym, v.sym);
  take(Field::data_type, s.data_type, v.data_type);
  take(Field::act_bits, s.act_bits, v.act_bits);
  take(Field::act_group_size, s.act_group_size, v.act_group_size);
  take(Field::act_sym, s.act_sym, v.act_sym);
  take(Field::act_data_type, s.act_data_type, v.act_data_type);
  take(Field::act_dynamic, s.act_dynamic, v.act_dynamic);
  take(Field::super_bits, s.super_bits, v.super_bits);
  take(Field::super_group_size, s.super_group_size, v.super_group_size);
  if (p.has_preset) s.gguf_type = v.gguf_type;
  if (p.has_explicit) s.gguf_type.clear();
}

// Upstream quantizes the linears inside blocks; lm_head and embeddings only on
// request, MoE routers never by default.
bool kept_by_default(Role r) { return r == Role::router || r == Role::lm_head || r == Role::embed; }

// Whether `rule` selects this router because of its role: it matches the layer as the
// router but not the same layer under a role no selector can name. Upstream never
// quantizes MoE routers (DeepSeek's MoEGate is not an nn.Linear), so a rule that reaches
// one only by name, blocks or negation (`{blocks: "0-2"}`) must not un-keep it.
bool names_router_role(const dsl::Selector& match, const LayerInfo& layer, int num_blocks) {
  const dsl::LayerRef as_router{layer.name, role_name(Role::router), layer.block};
  const dsl::LayerRef as_no_role{layer.name, "", layer.block};
  return match.matches(as_router, num_blocks) && !match.matches(as_no_role, num_blocks);
}

std::string builtin_reason(const LayerPlan& l) {
  switch (l.layer.role) {
    case Role::router: return "built-in: MoE routers stay in source precision (as upstream)";
    case Role::lm_head: return "built-in: lm_head stays in source precision unless a rule gives it a scheme (as upstream)";
    case Role::embed: return "built-in: embeddings stay in source precision unless a rule gives them a scheme";
    default: return "built-in: linears inside blocks are quantized";
  }
}

const dsl::SchemeSpec* spec_of(const dsl::Recipe& r, int source) {
  if (source == kDefaultScheme) return &r.scheme;
  if (source >= 1 && source <= static_cast<int>(r.rules.size()) && r.rules[source - 1].scheme)
    return &*r.rules[source - 1].scheme;
  return nullptr;
}

dsl::SourceLoc spec_field_loc(const dsl::SchemeSpec& spec, Field f) {
  const auto& x = spec.fields;
  auto pick = [&](const auto& opt) { return opt ? opt->loc : (spec.preset ? spec.preset->loc : spec.loc); };
  switch (f) {
    case Field::bits: return pick(x.bits);
    case Field::group_size: return pick(x.group_size);
    case Field::sym: return pick(x.sym);
    case Field::data_type: return pick(x.data_type);
    case Field::act_bits: return pick(x.act_bits);
    case Field::act_group_size: return pick(x.act_group_size);
    case Field::act_sym: return pick(x.act_sym);
    case Field::act_data_type: return pick(x.act_data_type);
    case Field::act_dynamic: return pick(x.act_dynamic);
    case Field::super_bits: return pick(x.super_bits);
    case Field::super_group_size: return pick(x.super_group_size);
    default: return spec.loc;
  }
}

void check_block_indices(const dsl::Recipe& recipe, const Inventory& inv) {
  for (const auto& rule : recipe.rules) {
    const int max_block = rule.match.max_absolute_block();
    if (max_block >= inv.num_blocks)
      dsl::fail_at(rule.match.loc(),
                   rule.display() + " names block " + std::to_string(max_block) + ", but " + inv.architecture +
                       " has blocks 0-" + std::to_string(inv.num_blocks - 1),
                   "use \"last\" or \"last:N\" to name the final blocks of any model");
  }
}

}  // namespace

const char* field_name(Field f) { return kFieldNames[static_cast<size_t>(f)]; }

schemes::Scheme LayerPlan::effective() const {
  if (!keep) return scheme;
  schemes::Scheme s;
  s.bits = 16;
  s.data_type = "float";
  return s;
}

const LayerPlan* Plan::find(const std::string& name) const {
  for (const auto& l : layers)
    if (l.layer.name == name) return &l;
  return nullptr;
}

dsl::SourceLoc field_location(const dsl::Recipe& recipe, const LayerPlan& l, Field f) {
  const int src = l.source[static_cast<size_t>(f)];
  if (src == kBuiltin) return {};
  if (src == kAllocator) return recipe.target ? recipe.target->loc : dsl::SourceLoc{};
  if (f == Field::keep) {
    const auto& rule = recipe.rules[src - 1];
    return rule.keep ? rule.keep->loc : rule.scheme->loc;
  }
  const dsl::SchemeSpec* spec = spec_of(recipe, src);
  return spec ? spec_field_loc(*spec, f) : dsl::SourceLoc{};
}

std::string field_origin(const dsl::Recipe& recipe, const LayerPlan& l, Field f) {
  const int src = l.source[static_cast<size_t>(f)];
  if (src == kBuiltin) return builtin_reason(l);
  if (src == kAllocator) return "target allocator (" + field_location(recipe, l, f).str() + ")";
  const std::string at = field_location(recipe, l, f).str();
  if (src == kDefaultScheme) return "default scheme (" + at + ")";
  const auto& rule = recipe.rules[src - 1];
  std::string s = "rule " + std::to_string(rule.index);
  if (!rule.label.empty()) s += " '" + rule.label + "'";
  return s + " (" + at + ")";
}

Plan resolve(const dsl::Recipe& recipe, const Inventory& inventory) {
  check_block_indices(recipe, inventory);
  Plan plan;
  plan.inventory = inventory;
  const Patch base = make_patch(recipe.scheme);
  plan.layers.reserve(inventory.layers.size());
  for (const auto& info : inventory.layers) {
    LayerPlan l;
    l.layer = info;
    l.source.fill(kDefaultScheme);
    apply_patch(base, kDefaultScheme, l);
    l.keep = kept_by_default(info.role);
    l.source[static_cast<size_t>(Field::keep)] = kBuiltin;
    plan.layers.push_back(std::move(l));
  }
  plan.rule_matches.assign(recipe.rules.size(), 0);
  for (const auto& rule : recipe.rules) {
    const bool has_scheme = rule.scheme.has_value();
    const Patch patch = has_scheme ? make_patch(*rule.scheme) : Patch{};
    size_t matched = 0, routers_spared = 0;
    for (auto& l : plan.layers) {
      const dsl::LayerRef ref{l.layer.name, role_name(l.layer.role), l.layer.block};
      if (!rule.match.matches(ref, inventory.num_blocks)) continue;
      if (l.layer.role == Role::router && !names_router_role(rule.match, l.layer, inventory.num_blocks)) {
        ++routers_spared;
        continue;
      }
      ++matched;
      if (has_scheme) {
        l.pinned = true;
        apply_patch(patch, rule.index, l);
        l.keep = false;
        l.source[static_cast<size_t>(Field::keep)] = rule.index;
      }
      if (rule.keep) {
        l.keep = rule.keep->value;
        l.source[static_cast<size_t>(Field::keep)] = rule.index;
      }
    }
    plan.rule_matches[rule.index - 1] = matched;
    // Sparing routers silently is right for a rule that also selects other layers
    // (`{blocks: "first,last"}`); a rule that selects nothing else is likely meant for them.
    if (matched == 0 && routers_spared > 0)
      plan.warnings.push_back({rule.match.loc(), rule.display() + " selects only MoE routers (" +
                                                     std::to_string(routers_spared) +
                                                     "), which stay in source precision unless a rule selects them "
                                                     "with `role: router`"});
    else if (matched == 0)
      plan.warnings.push_back({rule.match.loc(), rule.display() + " matches no layer of " + inventory.architecture +
                                                     " (" + std::to_string(inventory.layers.size()) + " layers)"});
  }
  run_checks(recipe, plan);
  plan.summary = summarize(plan);
  return plan;
}

}  // namespace arecipe::autoscheme
