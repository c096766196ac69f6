#include "dsl/scheme_spec.h"

#include <cctype>

#include "dsl/suggest.h"
#include "dsl/values.h"
#include "schemes/presets.h"

namespace arecipe::dsl {

namespace {

const std::vector<std::string> kDataTypes = {"int", "fp", "float", "mx_fp", "mx_int", "nv_fp", "nvfp4_v2"};
const std::vector<std::string> kActDataTypes = {"int",   "fp",          "float",       "mx_fp",
                                                "mx_fp_rceil", "mx_int", "nv_fp",
                                                "nv_fp4_with_static_gs", "nvfp4_v2"};

Located<std::string> read_preset(const YNode& n) {
  Located<std::string> name = read_string(n, "scheme");
  auto canon = schemes::canonical_preset_name(name.value);
  if (!canon) fail_at(n.loc, "unknown scheme preset '" + name.value + "'", did_you_mean(name.value, schemes::preset_names()));
  name.value = *canon;
  return name;
}

Located<int> read_bits(const YNode& n, const std::string& what) {
  Located<int> b = read_int(n, what, 1, 32);
  if (!((b.value >= 2 && b.value <= 8) || b.value == 16))
    fail_at(n.loc, what + " must be 2 to 8, or 16 (unquantized), got " + n.value);
  return b;
}

Located<int> read_group(const YNode& n, const std::string& what) {
  Located<int> g = read_int(n, what, -1, 1 << 20);
  return g;
}

// Upstream accepts a data type with a bit suffix ("mx_fp4", "fp8"): the suffix sets bits.
void read_data_type(const YNode& n, SchemeFields& f) {
  Located<std::string> dt = read_string(n, "data_type");
  std::string family = dt.value;
  int suffix_bits = 0;
  size_t digits = family.find_last_not_of("0123456789");
  if (digits != std::string::npos && digits + 1 < family.size()) {
    suffix_bits = std::stoi(family.substr(digits + 1, 3));
    family = family.substr(0, digits + 1);
    if (family == "nv_fp" || family == "mx_fp" || family == "mx_int" || family == "fp" || family == "int") {
    } else {
      family = dt.value, suffix_bits = 0;
    }
  }
  bool ok = false;
  for (const auto& k : kDataTypes) ok = ok || k == family;
  if (!ok) fail_at(n.loc, "unknown data_type '" + dt.value + "'", did_you_mean(dt.value, kDataTypes));
  f.data_type = Located<std::string>{family, dt.loc};
  if (suffix_bits) {
    if (f.bits && f.bits->value != suffix_bits)
      fail_at(n.loc, "data_type '" + dt.value + "' means bits " + std::to_string(suffix_bits) +
                         ", but bits: " + std::to_string(f.bits->value) + " is also set");
    f.bits = Located<int>{suffix_bits, dt.loc};
  }
}

}  // namespace

const std::vector<std::string>& scheme_field_names() {
  static const std::vector<std::string> names = {
      "bits",          "group_size", "sym",        "data_type",       "act_bits",   "act_group_size",
      "act_sym",       "act_data_type", "act_dynamic", "super_bits", "super_group_size"};
  return names;
}

SchemeSpec parse_scheme_spec(const YNode& n, const std::string& where) {
  SchemeSpec spec;
  spec.loc = n.loc;
  if (n.is_scalar()) {
    spec.preset = read_preset(n);
    return spec;
  }
  if (!n.is_mapping())
    fail_at(n.loc, where + ": a scheme is a preset name (W4A16) or a mapping of fields ({bits: 4, group_size: 128}), not " +
                       std::string(n.kind_name()));
  std::vector<std::string> keys = scheme_field_names();
  keys.insert(keys.begin(), "preset");
  check_keys(n, keys, where);
  SchemeFields& f = spec.fields;
  if (const YNode* p = n.find("preset")) spec.preset = read_preset(*p);
  if (const YNode* v = n.find("bits")) f.bits = read_bits(*v, "bits");
  if (const YNode* v = n.find("group_size")) {
    if (v->is_sequence()) {
      if (v->items.size() != 2)
        fail_at(v->loc, "group_size: a 2-D block is [rows, cols], got " + std::to_string(v->items.size()) + " values");
      f.group_rows = read_int(v->items[0], "group_size rows", 1, 1 << 16);
      f.group_size = read_int(v->items[1], "group_size cols", 1, 1 << 16);
    } else {
      f.group_size = read_group(*v, "group_size");
      f.group_rows = Located<int>{0, v->loc};
    }
  }
  if (const YNode* v = n.find("sym")) f.sym = read_bool(*v, "sym");
  if (const YNode* v = n.find("data_type")) read_data_type(*v, f);
  if (const YNode* v = n.find("act_bits")) f.act_bits = read_bits(*v, "act_bits");
  if (const YNode* v = n.find("act_group_size")) f.act_group_size = read_group(*v, "act_group_size");
  if (const YNode* v = n.find("act_sym")) f.act_sym = read_bool(*v, "act_sym");
  if (const YNode* v = n.find("act_data_type")) {
    f.act_data_type = read_string(*v, "act_data_type");
    bool ok = false;
    for (const auto& k : kActDataTypes) ok = ok || k == f.act_data_type->value;
    if (!ok) fail_at(v->loc, "unknown act_data_type '" + v->value + "'", did_you_mean(v->value, kActDataTypes));
  }
  if (const YNode* v = n.find("act_dynamic")) f.act_dynamic = read_bool(*v, "act_dynamic");
  if (const YNode* v = n.find("super_bits")) f.super_bits = read_int(*v, "super_bits", 0, 16);
  if (const YNode* v = n.find("super_group_size")) f.super_group_size = read_int(*v, "super_group_size", 0, 1024);
  if (!spec.preset && n.entries.empty()) fail_at(n.loc, where + ": empty scheme mapping sets nothing");
  return spec;
}

void apply_scheme_spec(const SchemeSpec& spec, schemes::Scheme& s,
                       const std::function<void(const char*, const SourceLoc&)>& on_set) {
  auto note = [&](const char* field, const SourceLoc& loc) {
    if (on_set) on_set(field, loc);
  };
  if (spec.preset) {
    s = *schemes::find_preset(spec.preset->value);
    for (const auto& f : scheme_field_names()) note(f.c_str(), spec.preset->loc);
  }
  const SchemeFields& f = spec.fields;
  // A field set explicitly leaves a GGUF preset's identity behind: it is no longer q4_k.
  auto set = [&](auto& dst, const auto& src, const char* name) {
    if (!src) return;
    dst = src->value;
    s.gguf_type.clear();
    note(name, src->loc);
  };
  set(s.bits, f.bits, "bits");
  set(s.group_size, f.group_size, "group_size");
  if (f.group_rows) s.group_rows = f.group_rows->value;
  set(s.sym, f.sym, "sym");
  set(s.data_type, f.data_type, "data_type");
  set(s.act_bits, f.act_bits, "act_bits");
  set(s.act_group_size, f.act_group_size, "act_group_size");
  set(s.act_sym, f.act_sym, "act_sym");
  set(s.act_data_type, f.act_data_type, "act_data_type");
  set(s.act_dynamic, f.act_dynamic, "act_dynamic");
  set(s.super_bits, f.super_bits, "super_bits");
  set(s.super_group_size, f.super_group_size, "super_group_size");
}

}  // namespace arecipe::dsl
