#include "engine/model/packed_weights.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "engine/util/error.h"
#include "engine/util/shape_text.h"
#include "engine/util/files.h"

namespace arecipe {
namespace {

using ojson = nlohmann::ordered_json;

std::string scheme_str(const PackedScheme& s) {
  return std::to_string(s.bits) + "-bit G" + (s.group_size == -1 ? std::string("-1") : std::to_string(s.group_size)) +
         (s.sym ? " sym" : " asym");
}

// The per-layer attributes auto-round's loader resolves (QuantizationScheme keys we use).
struct LayerAttrs {
  int bits = 16;
  int64_t group_size = 128;
  bool sym = true;
  std::string data_type = "int";
  int act_bits = 16;  // weight-only unless < 16
};

int int_field(const ojson& o, const char* key, const std::string& path, const std::string& where, int fallback) {
  if (!o.contains(key) || o.at(key).is_null()) return fallback;
  const ojson& v = o.at(key);
  if (!v.is_number_integer()) fail(path, where + "'" + key + "' must be an integer, got " + v.dump());
  return v.get<int>();
}

bool bool_field(const ojson& o, const char* key, const std::string& path, const std::string& where, bool fallback) {
  if (!o.contains(key) || o.at(key).is_null()) return fallback;
  const ojson& v = o.at(key);
  if (!v.is_boolean()) fail(path, where + "'" + key + "' must be true or false, got " + v.dump());
  return v.get<bool>();
}

std::string string_field(const ojson& o, const char* key, const std::string& path, const std::string& where,
                         const std::string& fallback) {
  if (!o.contains(key) || o.at(key).is_null()) return fallback;
  const ojson& v = o.at(key);
  if (!v.is_string()) fail(path, where + "'" + key + "' must be a string, got " + v.dump());
  return v.get<std::string>();
}

LayerAttrs apply(LayerAttrs a, const ojson& o, const std::string& path, const std::string& where) {
  if (!o.is_object()) fail(path, where + "must be an object, got " + o.dump());
  a.bits = int_field(o, "bits", path, where, a.bits);
  a.group_size = int_field(o, "group_size", path, where, static_cast<int>(a.group_size));
  a.sym = bool_field(o, "sym", path, where, a.sym);
  a.data_type = string_field(o, "data_type", path, where, a.data_type);
  a.act_bits = int_field(o, "act_bits", path, where, a.act_bits);
  return a;
}

std::regex compile(const std::string& pattern, const std::string& path, const std::string& what) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    fail(path, what + " '" + pattern + "' is not a regular expression this engine can read (" + e.what() + ")");
  }
}

// Python's flatten_list over nested lists of strings.
void flatten_strings(const ojson& v, std::vector<std::string>& out, const std::string& path, const char* key) {
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& x : v) flatten_strings(x, out, path, key);
  } else {
    fail(path, std::string("'") + key + "' must hold strings or lists of strings, got " + v.dump());
  }
}

// The prefixes that name decoder blocks ("model.layers"), from the inventory: what
// upstream's get_block_names + commonprefix finds when the config names none.
std::vector<std::string> default_block_prefixes(const Inventory& inv) {
  std::set<std::string> out;
  for (const auto& l : inv.layers) {
    if (l.block < 0) continue;
    const std::string mark = "." + std::to_string(l.block) + ".";
    const size_t at = l.name.find(mark);
    if (at != std::string::npos) out.insert(l.name.substr(0, at));
  }
  return {out.begin(), out.end()};
}

}  // namespace

std::optional<QuantizationConfig> QuantizationConfig::from_model_config(const ModelConfig& config,
                                                                       const Inventory& inventory) {
  if (!config.raw.contains("quantization_config") || config.raw.at("quantization_config").is_null()) return std::nullopt;
  // FP8 block-scaled source weights (DeepSeek's release) are not a packed integer
  // layout: fp8_weights.h reads them.
  if (const auto& qc = config.raw.at("quantization_config");
      qc.is_object() && qc.contains("quant_method") && qc.at("quant_method") == "fp8")
    return std::nullopt;
  // Re-read in file order: Python resolves regex keys in dict (file) order.
  ojson raw = ojson::parse(read_text_file(config.path));
  return parse(raw.at("quantization_config").dump(), config.path, inventory);
}

QuantizationConfig QuantizationConfig::parse(const std::string& text, const std::string& path,
                                             const Inventory& inventory) {
  QuantizationConfig q;
  q.path_ = path;
  ojson qc;
  try {
    qc = ojson::parse(text);
  } catch (const std::exception& e) {
    fail(path, std::string("quantization_config is not valid JSON: ") + e.what());
  }
  if (!qc.is_object()) fail(path, "quantization_config must be an object");
  const std::string where = "quantization_config: ";
  const std::string method = string_field(qc, "quant_method", path, where, "");
  if (method.empty()) fail(path, "quantization_config has no 'quant_method'");

  // ---- method and packing format (convert_model.py: packing format selection) ----
  if (method == "auto-round" || method == "intel/auto-round") {
    q.quant_method_ = "auto-round";
    std::string pf = string_field(qc, "packing_format", path, where, "auto_round:auto_gptq");
    if (pf == "auto" || pf == "auto_round:gptq") pf = "auto_round:auto_gptq";
    if (pf == "auto_round:awq") pf = "auto_round:auto_awq";
    q.packing_format_ = pf;
    if (pf == "auto_round:auto_gptq") {
      q.global_.layout = PackedLayout::gptq;
      q.global_.zp_offset = 1;
    } else if (pf == "auto_round" || pf == "auto_round:gptqmodel") {
      q.global_.layout = PackedLayout::gptq;
      q.global_.zp_offset = 0;
    } else if (pf == "auto_round:auto_awq") {
      q.global_.layout = PackedLayout::awq;
    } else {
      fail(path, "quantization_config packing_format '" + pf +
                     "' is not supported (supported: auto_round, auto_round:auto_gptq, auto_round:gptqmodel, "
                     "auto_round:auto_awq; FP8, MX/NV FP and llm_compressor layouts are not)");
    }
  } else if (method == "gptq") {
    q.quant_method_ = "gptq";
    q.packing_format_ = "auto_round:auto_gptq";
    q.global_.layout = PackedLayout::gptq;
    q.global_.zp_offset = 1;
    const std::string cf = string_field(qc, "checkpoint_format", path, where, "gptq");
    if (cf != "gptq")
      fail(path, "quantization_config checkpoint_format '" + cf + "' is not supported (only 'gptq', zero points stored minus 1)");
  } else if (method == "awq") {
    q.quant_method_ = "awq";
    q.packing_format_ = "auto_round:auto_awq";
    q.global_.layout = PackedLayout::awq;
    std::string version = string_field(qc, "version", path, where, "gemm");
    std::transform(version.begin(), version.end(), version.begin(), ::tolower);
    if (version != "gemm") fail(path, "quantization_config: AWQ version '" + version + "' is not supported (only 'gemm')");
  } else {
    fail(path, "quantization method '" + method +
                   "' is not supported (packed integer checkpoints only: auto-round, gptq, awq)");
  }

  // ---- global scheme ----
  LayerAttrs global;
  if (!qc.contains("bits")) fail(path, "quantization_config has no 'bits'");
  if (!qc.contains("group_size")) fail(path, "quantization_config has no 'group_size'");
  // AWQ spells sym as zero_point (sym = not zero_point).
  if (q.quant_method_ == "awq" && !qc.contains("sym")) global.sym = !bool_field(qc, "zero_point", path, where, true);
  global = apply(global, qc, path, where);
  q.global_.bits = global.bits;
  q.global_.group_size = global.group_size;
  q.global_.sym = global.sym;

  // ---- per-layer resolution, as get_layer_config does it ----
  std::vector<std::string> all_names;  // every Linear of the model (the embedding is not one)
  for (const auto& l : inventory.layers)
    if (l.role != Role::embed) all_names.push_back(l.name);
  const std::set<std::string> all_set(all_names.begin(), all_names.end());

  std::vector<std::string> blocks;
  for (const char* key : {"quant_block_list", "block_name_to_quantize", "to_quant_block_names"}) {
    if (!qc.contains(key) || qc.at(key).is_null()) continue;
    const ojson& v = qc.at(key);
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      size_t start = 0;
      while (true) {
        const size_t comma = s.find(',', start);
        blocks.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else {
      flatten_strings(v, blocks, path, key);
    }
    break;
  }
  if (blocks.empty()) blocks = default_block_prefixes(inventory);

  std::vector<std::string> layer_names;
  for (const auto& n : all_names)
    if (std::any_of(blocks.begin(), blocks.end(), [&](const std::string& b) { return n.rfind(b, 0) == 0; }))
      layer_names.push_back(n);

  // extra_config in file order; later steps add entries (insertion order kept).
  std::vector<std::pair<std::string, ojson>> extra;
  auto find_extra = [&](const std::string& k) {
    return std::find_if(extra.begin(), extra.end(), [&](const auto& e) { return e.first == k; });
  };
  auto set_extra = [&](const std::string& k, const ojson& v) {
    auto it = find_extra(k);
    if (it == extra.end()) extra.emplace_back(k, v);
    else it->second = v;
  };
  if (qc.contains("extra_config") && !qc.at("extra_config").is_null()) {
    if (!qc.at("extra_config").is_object()) fail(path, "quantization_config 'extra_config' must be an object");
    for (const auto& [k, v] : qc.at("extra_config").items()) extra.emplace_back(k, v);
  }

  if (qc.contains("modules_in_block_to_quantize") && !qc.at("modules_in_block_to_quantize").is_null() &&
      !qc.at("modules_in_block_to_quantize").empty()) {
    std::vector<std::string> pats;
    flatten_strings(qc.at("modules_in_block_to_quantize"), pats, path, "modules_in_block_to_quantize");
    std::vector<std::regex> res;
    for (const auto& p : pats) res.push_back(compile(p, path, "modules_in_block_to_quantize entry"));
    for (const auto& n : layer_names)
      if (std::none_of(res.begin(), res.end(), [&](const std::regex& r) { return std::regex_search(n, r); }))
        set_extra(n, ojson{{"bits", 16}});
  }

  // Regex keys (not exact layer names): match the in-block layers first, else every
  // linear; an empty config is skipped; explicit entries are never overwritten.
  auto expand = [&](const std::vector<std::pair<std::string, ojson>>& regex_config, const char* what) {
    for (const auto& [key, cfg] : regex_config) {
      if (all_set.count(key)) continue;
      const std::regex r = compile(key, path, what);
      std::vector<std::string> matched;
      for (const auto& n : layer_names)
        if (std::regex_search(n, r)) matched.push_back(n);
      if (matched.empty())
        for (const auto& n : all_names)
          if (std::regex_search(n, r)) matched.push_back(n);
      if (matched.empty() || (cfg.is_object() && cfg.empty())) continue;
      for (const auto& n : matched)
        if (find_extra(n) == extra.end()) extra.emplace_back(n, cfg);
    }
  };

  if (qc.contains("dynamic") && qc.at("dynamic").is_object() && !qc.at("dynamic").empty()) {
    std::vector<std::pair<std::string, ojson>> converted;
    for (const auto& [k, v] : qc.at("dynamic").items()) {
      if (k.rfind("+:", 0) == 0) converted.emplace_back(k.substr(2), v);
      else if (k.rfind("-:", 0) == 0) converted.emplace_back(k.substr(2), ojson{{"bits", 16}, {"act_bits", 16}});
    }
    expand(converted, "dynamic key");
  }

  if (qc.contains("modules_to_not_convert") && !qc.at("modules_to_not_convert").is_null()) {
    std::vector<std::string> pats;
    flatten_strings(qc.at("modules_to_not_convert"), pats, path, "modules_to_not_convert");
    std::vector<std::regex> res;
    for (const auto& p : pats) res.push_back(compile(p, path, "modules_to_not_convert entry"));
    for (const auto& n : layer_names)
      if (std::any_of(res.begin(), res.end(), [&](const std::regex& r) { return std::regex_search(n, r); }))
        set_extra(n, ojson{{"bits", 16}, {"act_bits", 16}});
  }

  {
    const auto snapshot = extra;  // Python iterates the keys as they were before expanding
    expand(snapshot, "extra_config key");
  }

  // ---- final per-layer schemes ----
  std::set<std::string> in_blocks(layer_names.begin(), layer_names.end());
  for (const auto& n : all_names) {
    auto e = find_extra(n);
    if (!in_blocks.count(n) && e == extra.end()) {
      ++q.float_layers_;
      continue;
    }
    const std::string lw = "quantization_config for layer '" + n + "': ";
    const LayerAttrs a = e == extra.end() ? global : apply(global, e->second, path, lw);
    if (a.act_bits < 16)
      fail(path, lw + "activation quantization (act_bits " + std::to_string(a.act_bits) + ") is not supported");
    if (a.bits > 8) {
      ++q.float_layers_;
      continue;
    }
    if (a.data_type != "int")
      fail(path, lw + "data_type '" + a.data_type + "' is not supported (packed integer weights only)");
    if (a.bits != 2 && a.bits != 3 && a.bits != 4 && a.bits != 8)
      fail(path, lw + std::to_string(a.bits) + "-bit weights are not supported (2, 3, 4 or 8)");
    if (a.group_size != -1 && a.group_size <= 0)
      fail(path, lw + "group_size " + std::to_string(a.group_size) + " is not supported (-1 or a positive size)");
    PackedScheme s = q.global_;
    s.bits = a.bits;
    s.group_size = a.group_size;
    s.sym = a.sym;
    if (s.layout == PackedLayout::awq && s.bits != 4)
      fail(path, lw + "the AWQ layout holds 4-bit weights only, config says " + std::to_string(s.bits));
    q.by_layer_[n] = s;
    q.quantized_.emplace_back(n, s);
  }
  return q;
}

std::optional<PackedScheme> QuantizationConfig::scheme_for(const std::string& layer) const {
  auto it = by_layer_.find(layer);
  if (it == by_layer_.end()) return std::nullopt;
  return it->second;
}

std::string QuantizationConfig::summary() const {
  std::string s = quant_method_ + " (" + packing_format_ + "), W" + std::to_string(global_.bits) + " G" +
                  std::to_string(global_.group_size) + (global_.sym ? " sym" : " asym") + "; " +
                  std::to_string(quantized_.size()) + " of " + std::to_string(quantized_.size() + float_layers_) +
                  " linears packed";
  std::map<int, int> other_bits;
  for (const auto& [n, sc] : quantized_)
    if (sc.bits != global_.bits) ++other_bits[sc.bits];
  for (const auto& [b, c] : other_bits) s += " (" + std::to_string(b) + "-bit: " + std::to_string(c) + ")";
  return s;
}

PackedLayer check_packed_layer(const TensorLookup& find, const std::string& where, const std::string& layer,
                               const PackedScheme& s, int64_t out_features, int64_t in_features) {
  PackedLayer p;
  p.name = layer;
  p.scheme = s;
  p.out_features = out_features;
  p.in_features = in_features;
  const int64_t n = out_features, k = in_features;
  const int64_t g = s.group_size == -1 ? k : s.group_size;
  p.groups = (k + g - 1) / g;
  const std::string what = std::to_string(s.bits) + "-bit G" + std::to_string(s.group_size) +
                           (s.layout == PackedLayout::awq ? " AWQ" : " GPTQ") + " packing of a " + std::to_string(n) +
                           "x" + std::to_string(k) + " linear";
  if (find(layer + ".weight"))
    fail(where, "layer '" + layer + "' has both a plain weight and packed tensors; config.json quantizes it (" +
                    scheme_str(s) + ")");
  auto need = [&](const std::string& name) -> const TensorInfo& {
    const TensorInfo* t = find(name);
    if (!t) fail(where, "tensor '" + name + "' is missing (config.json quantizes '" + layer + "' as " + scheme_str(s) + ")");
    return *t;
  };
  auto check = [&](const TensorInfo& t, std::initializer_list<DType> dtypes, const std::vector<int64_t>& shape) {
    if (std::find(dtypes.begin(), dtypes.end(), t.dtype) == dtypes.end()) {
      std::string allowed;
      for (DType d : dtypes) allowed += (allowed.empty() ? "" : " or ") + std::string(dtype_name(d));
      fail(where, "tensor '" + t.name + "' has dtype " + dtype_name(t.dtype) + ", expected " + allowed);
    }
    if (t.shape != shape)
      fail(where, "tensor '" + t.name + "' has shape " + shape_str(t.shape) + ", " + what + " needs " + shape_str(shape));
  };
  if (s.layout == PackedLayout::gptq) {
    if (k % 32 != 0 || n % 32 != 0)
      fail(where, "layer '" + layer + "' is " + std::to_string(n) + "x" + std::to_string(k) +
                      ": GPTQ packing needs both dimensions to be multiples of 32");
    check(need(p.qweight()), {DType::I32}, {k / 32 * s.bits, n});
    check(need(p.qzeros()), {DType::I32}, {p.groups, n / 32 * s.bits});
    check(need(p.scales()), {DType::F16, DType::BF16, DType::F32}, {p.groups, n});
    if (const TensorInfo* gi = find(p.g_idx())) {
      check(*gi, {DType::I32, DType::I64}, {k});
      p.has_g_idx = true;
    }
  } else {
    if (s.bits != 4) fail(where, "layer '" + layer + "': the AWQ layout holds 4-bit weights only");
    if (n % 8 != 0) fail(where, "layer '" + layer + "' has " + std::to_string(n) + " outputs: AWQ packing needs a multiple of 8");
    if (k % g != 0)
      fail(where, "layer '" + layer + "' has " + std::to_string(k) + " inputs: AWQ needs a multiple of the group size " +
                      std::to_string(g));
    check(need(p.qweight()), {DType::I32}, {k, n / 8});
    check(need(p.qzeros()), {DType::I32}, {p.groups, n / 8});
    check(need(p.scales()), {DType::F16, DType::BF16, DType::F32}, {p.groups, n});
    if (find(p.g_idx())) fail(where, "tensor '" + p.g_idx() + "' is unexpected in an AWQ checkpoint");
  }
  return p;
}

}  // namespace arecipe
