#include "autoscheme/import.h"

#include <re2/re2.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "engine/util/error.h"
#include "engine/util/files.h"
#include "schemes/presets.h"

namespace arecipe::autoscheme {

namespace {

using Json = nlohmann::ordered_json;  // rule order is semantic: keep the file's order

struct ImportedRule {
  std::string comment;
  std::string match;   // YAML scalar, already quoted
  std::string action;  // "keep: true" or "scheme: {...}"
};

std::string quote(const std::string& s) { return nlohmann::json(s).dump(); }  // JSON strings are YAML

bool has_regex_meta(const std::string& s) { return s.find_first_of("*^$|()[]?+\\") != std::string::npos; }

// Checks that RE2 accepts a pattern before it goes into a recipe.
std::string re2_selector(const std::string& pattern, const std::string& path) {
  RE2::Options o;
  o.set_log_errors(false);
  RE2 re(pattern, o);
  if (!re.ok()) fail(path, "pattern '" + pattern + "' cannot be expressed in RE2: " + re.error());
  return quote("re:" + pattern);
}

// AutoRound's extra_config keys: exact layer names, or regexes applied with
// re.search (to_standard_regex) -> full match of .*(?:P).*
std::string autoround_selector(const std::string& key, const std::string& path) {
  if (!has_regex_meta(key)) return quote(key);
  return re2_selector(".*(?:" + key + ").*", path);
}

// GPTQModel's `dynamic` keys: "+:P" / "-:P" / "P", applied with re.match (anchored
// at the start only) -> full match of (?:P).*
std::string gptq_selector(const std::string& pattern, const std::string& path) {
  return re2_selector("(?:" + pattern + ").*", path);
}

bool is_16bit(const Json& v) {
  return (v.contains("bits") && v["bits"].is_number() && v["bits"].get<int>() >= 16) ||
         (v.contains("data_type") && v["data_type"] == "float");
}

std::string yaml_value(const Json& v) {
  if (v.is_string()) return quote(v.get<std::string>());
  return v.dump();  // numbers, booleans, [rows, cols]
}

// The scheme fields of an entry, in recipe syntax; only the keys it sets, so the rule
// overrides exactly what the checkpoint overrides.
std::string scheme_fields(const Json& v) {
  static const std::vector<std::string> keys = {"bits",      "group_size",     "sym",     "data_type",
                                                "act_bits",  "act_group_size", "act_sym", "act_data_type",
                                                "act_dynamic", "super_bits",   "super_group_size"};
  std::string out;
  for (const auto& k : keys) {
    if (!v.contains(k) || v[k].is_null()) continue;
    out += (out.empty() ? "" : ", ") + k + ": " + yaml_value(v[k]);
  }
  return "scheme: {" + out + "}";
}

// The global scheme: a preset name when the fields are exactly one.
std::string global_scheme(const Json& q) {
  schemes::Scheme s;
  s.bits = q.value("bits", 4);
  s.group_size = q.contains("group_size") && q["group_size"].is_number_integer() ? q["group_size"].get<int>() : 128;
  s.sym = q.contains("sym") ? q["sym"].get<bool>() : !q.value("zero_point", false);
  s.data_type = q.value("data_type", std::string("int"));
  s.act_bits = q.contains("act_bits") && q["act_bits"].is_number_integer() ? q["act_bits"].get<int>() : 16;
  if (s.act_bits >= 16 && s.data_type == "int") {
    s.act_group_size = s.group_size;
    if (auto name = schemes::preset_of(s); name && name->rfind("GGUF:", 0) != 0) {
      std::string yaml = *name;
      return yaml;
    }
  }
  Json fields = Json::object();
  for (const char* k : {"bits", "group_size", "sym", "data_type", "act_bits", "act_group_size", "act_sym",
                        "act_data_type", "act_dynamic"})
    if (q.contains(k) && !q[k].is_null()) fields[k] = q[k];
  if (!q.contains("sym") && q.contains("zero_point")) fields["sym"] = !q["zero_point"].get<bool>();
  return scheme_fields(fields).substr(8);
}

std::string checkpoint_dir(const std::string& path, std::string& config_path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    config_path = path + "/config.json";
    return path;
  }
  config_path = path;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

void add_tuning(const Json& q, std::string& out) {
  std::string t;
  for (const char* k : {"iters", "nsamples", "seqlen", "batch_size", "gradient_accumulate_steps"})
    if (q.contains(k) && q[k].is_number_integer()) t += std::string(t.empty() ? "" : ", ") + k + ": " + q[k].dump();
  for (const char* k : {"lr", "minmax_lr"})
    if (q.contains(k) && q[k].is_number()) t += std::string(t.empty() ? "" : ", ") + k + ": " + q[k].dump();
  if (q.contains("enable_quanted_input") && q["enable_quanted_input"].is_boolean())
    t += std::string(t.empty() ? "" : ", ") + "enable_quanted_input: " + q["enable_quanted_input"].dump();
  if (!t.empty()) out += "tuning: {" + t + "}\n";
}

}  // namespace

std::string import_recipe(const std::string& path) {
  std::string config_path;
  const std::string dir = checkpoint_dir(path, config_path);
  Json config = Json::parse(read_text_file(config_path, 16u << 20), nullptr, false);
  if (config.is_discarded() || !config.is_object()) fail(config_path, "not a JSON object");
  if (!config.contains("quantization_config") || !config["quantization_config"].is_object())
    fail(config_path, "no quantization_config: not a quantized checkpoint");
  const Json& q = config["quantization_config"];
  const std::string method = q.value("quant_method", std::string(""));
  std::vector<ImportedRule> rules;
  std::string export_format;
  if (method == "auto-round" || method == "intel/auto-round") {
    export_format = "auto_round";
    if (q.contains("extra_config") && q["extra_config"].is_object()) {
      for (const auto& [key, v] : q["extra_config"].items()) {
        if (!v.is_object()) fail(config_path, "extra_config['" + key + "'] is not an object");
        rules.push_back({"extra_config \"" + key + "\"", autoround_selector(key, config_path),
                         is_16bit(v) ? "keep: true" : scheme_fields(v)});
      }
    }
  } else if (method == "gptq") {
    export_format = "auto_gptq";
    if (q.contains("dynamic") && q["dynamic"].is_object()) {
      // GPTQModel applies the first matching entry; arecipe's last rule wins, so the
      // entries become rules in reverse order.
      std::vector<ImportedRule> dyn;
      for (const auto& [key, v] : q["dynamic"].items()) {
        const bool skip = key.rfind("-:", 0) == 0;
        const std::string pattern = key.rfind("+:", 0) == 0 || skip ? key.substr(2) : key;
        dyn.push_back({"dynamic \"" + key + "\"", gptq_selector(pattern, config_path),
                       skip || is_16bit(v) ? "keep: true" : scheme_fields(v)});
      }
      rules.insert(rules.end(), dyn.rbegin(), dyn.rend());
    }
    if (q.value("lm_head", false)) rules.push_back({"lm_head: true", "lm_head", "scheme: {bits: " + q["bits"].dump() + "}"});
  } else if (method == "awq") {
    export_format = "auto_awq";
    if (q.contains("modules_to_not_convert") && q["modules_to_not_convert"].is_array()) {
      // AWQ skips every module whose name contains an entry.
      for (const auto& m : q["modules_to_not_convert"]) {
        if (!m.is_string()) continue;
        const std::string name = m.get<std::string>();
        if (name.find_first_of("*?") != std::string::npos) fail(config_path, "modules_to_not_convert entry '" + name + "' contains a glob character");
        rules.push_back({"modules_to_not_convert \"" + name + "\"", quote("*" + name + "*"), "keep: true"});
      }
    }
  } else {
    fail(config_path, "unsupported quant_method '" + method + "' (import reads auto-round, gptq and awq)");
  }

  std::string out = "# Imported by `arecipe import` from " + config_path + "\n";
  out += "# (quant_method " + method + (q.contains("autoround_version") ? ", auto-round " + q["autoround_version"].get<std::string>() : "") +
         "). Planning it against that config.json reproduces the checkpoint's layers.\n";
  out += "arecipe: 1\n";
  std::string name = dir;
  while (!name.empty() && name.back() == '/') name.pop_back();
  name = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  std::string safe;
  for (char c : name) safe += (isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '-';
  if (safe.empty() || !isalnum(static_cast<unsigned char>(safe[0]))) safe = "imported" + safe;
  out += "name: " + quote(safe) + "\n";
  out += "model: " + quote(dir) + "\n";
  out += "scheme: " + global_scheme(q) + "\n";
  // The checkpoint is what it is: fused projections may already differ.
  out += "tie: none\n";
  if (!rules.empty()) {
    out += "rules:\n";
    for (const auto& r : rules) out += "  # " + r.comment + "\n  - match: " + r.match + "\n    " + r.action + "\n";
  }
  add_tuning(q, out);
  out += "export: [" + export_format + "]\n";
  return out;
}

}  // namespace arecipe::autoscheme
