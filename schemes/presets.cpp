#include "schemes/presets.h"

#include <algorithm>
#include <cctype>

namespace arecipe::schemes {

namespace {

Scheme int_weight_only(int bits, int group_size) {
  Scheme s;
  s.bits = bits;
  s.group_size = group_size;
  s.act_group_size = group_size;
  return s;
}

Scheme quantized_acts(int bits, int group_size, const std::string& dtype, int act_bits,
                      int act_group_size, const std::string& act_dtype, bool act_dynamic) {
  Scheme s;
  s.bits = bits;
  s.group_size = group_size;
  s.data_type = dtype;
  s.act_bits = act_bits;
  s.act_group_size = act_group_size;
  s.act_sym = true;
  s.act_data_type = act_dtype;
  s.act_dynamic = act_dynamic;
  return s;
}

// GGUF_SCHEME_FACTS: (bits, group, sym, data_type, super_bits, super_group_size).
Scheme gguf(const std::string& type, int bits, int group_size, bool sym,
            const std::string& dtype, int super_bits, int super_gs) {
  Scheme s;
  s.bits = bits;
  s.group_size = group_size;
  s.act_group_size = group_size;
  s.sym = sym;
  s.act_sym = sym;
  s.data_type = dtype;
  s.super_bits = super_bits;
  s.super_group_size = super_gs;
  s.gguf_type = type;
  return s;
}

struct Preset {
  std::string name;
  Scheme scheme;
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> table = [] {
    std::vector<Preset> t;
    // Weight-only int presets: W<b>A16 (group 128) for b = 2..8, and the finer-group
    // variants W<b>A16G64 / W<b>A16G32 upstream generates for the same bit widths.
    for (int b = 2; b <= 8; ++b) {
      const std::string w = "W" + std::to_string(b) + "A16";
      t.push_back({w, int_weight_only(b, 128)});
      t.push_back({w + "G64", int_weight_only(b, 64)});
      t.push_back({w + "G32", int_weight_only(b, 32)});
    }
    Scheme fpw8 = int_weight_only(8, kPerTensor);
    fpw8.data_type = "fp";
    Scheme fp8_block = quantized_acts(8, 128, "fp", 8, 128, "fp", true);
    fp8_block.group_rows = 128;
    Scheme bf16 = int_weight_only(16, 128);
    bf16.data_type = "fp";
    const Scheme q2k = gguf("q2_k", 2, 16, false, "int_asym_dq", 4, 16);
    const Scheme q3k = gguf("q3_k", 3, 16, true, "int_sym_dq", 6, 16);
    const Scheme q4k = gguf("q4_k", 4, 32, false, "int_asym_dq", 6, 8);
    const Scheme q5k = gguf("q5_k", 5, 32, false, "int_asym_dq", 6, 8);
    const Scheme q6k = gguf("q6_k", 6, 16, true, "int_sym_dq", 8, 16);
    const std::vector<Preset> rest = {
        {"MXFP4", quantized_acts(4, 32, "mx_fp", 4, 32, "mx_fp", true)},
        {"MXFP4_RCEIL", quantized_acts(4, 32, "mx_fp", 4, 32, "mx_fp_rceil", true)},
        {"MXFP6", quantized_acts(6, 32, "mx_fp", 6, 32, "mx_fp", true)},
        {"MXFP8", quantized_acts(8, 32, "mx_fp", 8, 32, "mx_fp", true)},
        {"MXFP8_RCEIL", quantized_acts(8, 32, "mx_fp", 8, 32, "mx_fp_rceil", true)},
        {"MXINT4", quantized_acts(4, 32, "mx_int", 4, 32, "mx_int", true)},
        {"NVFP4", quantized_acts(4, 16, "nv_fp", 4, 16, "nv_fp4_with_static_gs", true)},
        {"NVFP4_E5M3", quantized_acts(4, 16, "nvfp4_v2", 4, 16, "nvfp4_v2", true)},
        {"FPW8A16", fpw8},
        {"FP8_STATIC", quantized_acts(8, kPerChannel, "fp", 8, kPerTensor, "fp", false)},
        {"FP8_BLOCK", fp8_block},
        {"INT8_W8A8", quantized_acts(8, kPerChannel, "int", 8, kPerChannel, "int", true)},
        {"INT4", quantized_acts(4, kPerChannel, "int", 4, kPerChannel, "int", true)},
        {"BF16", bf16},
        // Upstream's GGUF preset names (GGUF_PRESET_ALIASES) ...
        {"GGUF:Q4_0", gguf("q4_0", 4, 32, true, "int", 0, 0)},
        {"GGUF:Q4_1", gguf("q4_1", 4, 32, false, "int_asym_float_zp", 0, 0)},
        {"GGUF:Q5_0", gguf("q5_0", 5, 32, true, "int", 0, 0)},
        {"GGUF:Q5_1", gguf("q5_1", 5, 32, false, "int_asym_float_zp", 0, 0)},
        {"GGUF:Q2_K_S", q2k},
        {"GGUF:Q2_K_MIXED", q2k},
        {"GGUF:Q3_K_S", q3k},
        {"GGUF:Q3_K_M", q3k},
        {"GGUF:Q3_K_L", q3k},
        {"GGUF:Q4_K_S", q4k},
        {"GGUF:Q4_K_M", q4k},
        {"GGUF:Q5_K_S", q5k},
        {"GGUF:Q5_K_M", q5k},
        {"GGUF:Q6_K", q6k},
        {"GGUF:Q8_0", gguf("q8_0", 8, 32, true, "int", 0, 0)},
        // ... then the bare k-quant and 16-bit types, an arecipe addition so that a rule
        // can give one layer one GGUF type (a Q4_K_M mixture is q4_k + q6_k layers).
        {"GGUF:Q2_K", q2k},
        {"GGUF:Q3_K", q3k},
        {"GGUF:Q4_K", q4k},
        {"GGUF:Q5_K", q5k},
        {"GGUF:BF16", gguf("bf16", 16, 0, true, "fp", 0, 0)},
        {"GGUF:F16", gguf("f16", 16, 0, true, "fp", 0, 0)},
    };
    t.insert(t.end(), rest.begin(), rest.end());
    return t;
  }();
  return table;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

const Preset* lookup(const std::string& name) {
  std::string key = upper(name);
  if (key == "INT8") key = "INT8_W8A8";  // upstream's deprecated alias
  for (const auto& p : presets())
    if (p.name == key || p.name == "GGUF:" + key) return &p;
  return nullptr;
}

}  // namespace

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : presets()) v.push_back(p.name);
    return v;
  }();
  return names;
}

std::optional<Scheme> find_preset(const std::string& name) {
  const Preset* p = lookup(name);
  if (!p) return std::nullopt;
  return p->scheme;
}

std::optional<std::string> canonical_preset_name(const std::string& name) {
  const Preset* p = lookup(name);
  if (!p) return std::nullopt;
  return p->name;
}

std::optional<std::string> preset_of(const Scheme& s) {
  // A GGUF type is named by its bare type, not by the first mixture that uses it.
  if (s.is_gguf()) return "GGUF:" + upper(s.gguf_type);
  for (const auto& p : presets())
    if (p.scheme == s) return p.name;
  return std::nullopt;
}

}  // namespace arecipe::schemes
