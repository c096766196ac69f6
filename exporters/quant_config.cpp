#include "exporters/quant_config.h"

#include <algorithm>
#include <set>
#include <string_view>

namespace arecipe::exporters {
namespace {

using json = nlohmann::json;

json base_config(const ExportOptions& o) {
  json c = {{"bits", o.global.bits},
            {"group_size", o.global.group_size},
            {"sym", o.global.sym},
            {"data_type", o.global.data_type}};
  for (auto it = o.extra_keys.begin(); it != o.extra_keys.end(); ++it) c[it.key()] = it.value();
  return c;
}

// Only the keys that differ from the global scheme (upstream check_neq_config).
json differing_keys(const LayerScheme& s, const LayerScheme& g) {
  json d = json::object();
  if (s.bits != g.bits) d["bits"] = s.bits;
  if (s.group_size != g.group_size) d["group_size"] = s.group_size;
  if (s.sym != g.sym) d["sym"] = s.sym;
  if (s.data_type != g.data_type) d["data_type"] = s.data_type;
  return d;
}

// Every scheme key, as upstream writes out-of-block quantized layers (lm_head), with
// the weight-only defaults its scheme resolution gives the act_* keys.
json full_scheme(const LayerScheme& s) {
  return {{"bits", s.bits},         {"group_size", s.group_size}, {"sym", s.sym},
          {"data_type", s.data_type}, {"act_bits", 16},           {"act_group_size", s.group_size},
          {"act_sym", s.sym},         {"act_data_type", "float"}, {"act_dynamic", true},
          {"super_bits", nullptr},    {"super_group_size", nullptr}};
}

bool in_block_by_name(const ExportOptions& o, const std::string& name) {
  return name.rfind(o.block_prefix + ".", 0) == 0;
}

}  // namespace

std::string standard_regex(const std::string& name) {
  static constexpr std::string_view kSpecial = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f";
  std::string out = ".*";
  for (char c : name) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out + ".*";
}

std::string auto_round_packing_format(const ExportOptions& o) {
  if (o.global.sym) return "auto_round:auto_gptq";
  if (o.global.bits == 4 && !o.mixed_bits) return "auto_round:auto_awq";
  return "auto_round";
}

json auto_round_quant_config(const ExportOptions& o, const std::string& packing_format,
                             const std::vector<WrittenLayer>& layers) {
  json c = base_config(o);
  c["block_name_to_quantize"] = o.block_prefix;
  c["quant_method"] = "auto-round";
  c["packing_format"] = packing_format;
  json extra = json::object();
  for (const WrittenLayer& l : layers) {
    if (!l.in_block) {
      extra[l.name] = full_scheme(l.scheme);
    } else if (json d = differing_keys(l.scheme, o.global); !d.empty()) {
      extra[l.name] = d;
    }
  }
  for (const std::string& name : o.fp_layers)
    if (in_block_by_name(o, name)) extra[name] = {{"bits", 16}, {"data_type", "fp"}};
  if (!extra.empty()) c["extra_config"] = extra;
  return c;
}

json gptq_quant_config(const ExportOptions& o, const std::vector<WrittenLayer>& layers) {
  json c = base_config(o);
  json dynamic = json::object();
  bool lm_head = false;
  std::set<std::string> quantized_in_block;  // names relative to their block
  for (const WrittenLayer& l : layers) {
    const json gptq_keys = {{"bits", l.scheme.bits}, {"group_size", l.scheme.group_size}, {"sym", l.scheme.sym}};
    if (!l.in_block) {
      lm_head = true;
      dynamic["+:" + standard_regex(l.name)] = gptq_keys;
      continue;
    }
    if (!(l.scheme == o.global)) dynamic["+:" + standard_regex(l.name)] = gptq_keys;
    // "model.layers.<i>.<rest>" → "<rest>"
    const size_t after_index = l.name.find('.', o.block_prefix.size() + 1);
    if (after_index != std::string::npos) quantized_in_block.insert(l.name.substr(after_index + 1));
  }
  bool some_in_block_fp = false;
  for (const std::string& name : o.fp_layers) {
    if (!in_block_by_name(o, name)) continue;
    some_in_block_fp = true;
    dynamic["-:" + standard_regex(name)] = json::object();
  }
  c["lm_head"] = lm_head;
  c["provider"] = "auto-round";
  c["quant_method"] = "gptq";
  c["desc_act"] = false;
  c["true_sequential"] = false;
  c["damp_percent"] = 0.01;
  if (some_in_block_fp)
    c["modules_in_block_to_quantize"] = json::array({json(std::vector<std::string>(
        quantized_in_block.begin(), quantized_in_block.end()))});
  if (!dynamic.empty()) c["dynamic"] = dynamic;
  return c;
}

json awq_quant_config(const ExportOptions& o) {
  json c = base_config(o);
  c["provider"] = "auto-round";
  c["quant_method"] = "awq";
  c["zero_point"] = !o.global.sym;
  c["version"] = "gemm";
  c["modules_to_not_convert"] = o.fp_layers;  // upstream also lists lm_head etc. here
  c["to_quant_block_names"] = o.block_prefix;   // upstream keeps this key under its input name
  return c;
}

}  // namespace arecipe::exporters
