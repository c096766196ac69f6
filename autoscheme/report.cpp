#include "autoscheme/report.h"

#include <cstdio>
#include <map>

#include "autoscheme/resolve.h"
#include "dsl/loader.h"
#include "dsl/sha256.h"
#include "schemes/bits.h"
#include "schemes/presets.h"

namespace arecipe::autoscheme {

namespace {

std::string fixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pad(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

// "model.layers.3.mlp.experts.17.up_proj" -> "model.layers.3.mlp.experts.*.up_proj"
std::string fold_expert_index(const std::string& name) {
  const std::string marker = ".experts.";
  const size_t at = name.find(marker);
  if (at == std::string::npos) return "";
  const size_t start = at + marker.size();
  size_t end = start;
  while (end < name.size() && name[end] >= '0' && name[end] <= '9') ++end;
  if (end == start || end >= name.size() || name[end] != '.') return "";
  return name.substr(0, start) + "*" + name.substr(end);
}

std::string decided_by(const dsl::Recipe& r, const LayerPlan& l) {
  return field_origin(r, l, l.keep ? Field::keep : Field::bits);
}

std::string scheme_text(const LayerPlan& l) {
  if (l.keep) return "keep (source precision)";
  auto preset = schemes::preset_of(l.scheme);
  return l.scheme.label() + (preset ? " [" + *preset + "]" : "");
}

// "0.0123 *0.0045 0.0001": the layer's score per target option, the chosen one starred.
std::string scores_text(const Plan& plan, size_t i) {
  if (!plan.allocation || plan.allocation->choice[i] < 0) return "";
  const auto row = plan.allocation->scores_of(plan.layers[i].layer.name);
  std::string out;
  char buf[32];
  for (size_t k = 0; k < row.size(); ++k) {
    std::snprintf(buf, sizeof buf, "%s%.3g", static_cast<int>(k) == plan.allocation->choice[i] ? "*" : "", row[k]);
    out += (k ? " " : "") + std::string(buf);
  }
  return out;
}

nlohmann::json group_size_json(const schemes::Scheme& s) {
  if (s.group_rows > 0) return nlohmann::json::array({s.group_rows, s.group_size});
  return s.group_size;
}

}  // namespace

std::string plan_table(const dsl::Recipe& r, const Plan& plan, const TableOptions& options) {
  struct Row {
    std::string name, role, shape, scheme, bits, origin, scores;
    size_t count = 1;
    std::string identity;  // what must be equal to fold
  };
  std::vector<Row> rows;
  std::map<std::string, size_t> folded;  // folded name -> row
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const auto& l = plan.layers[i];
    const auto b = schemes::layer_bits(l.effective(), l.layer.out_features, l.layer.in_features);
    Row row{l.layer.name,
            role_name(l.layer.role),
            std::to_string(l.layer.out_features) + "x" + std::to_string(l.layer.in_features),
            scheme_text(l),
            fixed(b.bits_per_weight()),
            decided_by(r, l),
            scores_text(plan, i),
            1,
            ""};
    // Folded rows (routed experts) show no per-layer scores: --full does.
    row.identity = row.shape + "|" + row.scheme + "|" + row.origin;
    const std::string f = options.full ? "" : fold_expert_index(l.layer.name);
    if (!f.empty()) {
      auto it = folded.find(f);
      if (it != folded.end() && rows[it->second].identity == row.identity) {
        rows[it->second].count++;
        continue;
      }
      row.name = f;
      folded[f] = rows.size();
    }
    rows.push_back(std::move(row));
  }
  size_t wn = 5, wr = 4, ws = 5, wsch = 6;
  for (auto& row : rows) {
    if (row.count > 1) row.name += " x" + std::to_string(row.count), row.scores = "(folded; --full)";
    wn = std::max(wn, row.name.size()), wr = std::max(wr, row.role.size());
    ws = std::max(ws, row.shape.size()), wsch = std::max(wsch, row.scheme.size());
  }
  // With an allocation, one more column: the scores per option (header names them).
  size_t wsc = 0;
  std::string score_head;
  if (plan.allocation) {
    score_head = "scores (";
    for (size_t k = 0; k < plan.allocation->options.size(); ++k)
      score_head += (k ? " " : "") + plan.allocation->options[k];
    score_head += "; * chosen)";
    wsc = score_head.size();
    for (const auto& row : rows) wsc = std::max(wsc, row.scores.size());
  }
  const auto scores_col = [&](const std::string& v) { return wsc ? pad(v, wsc) + "  " : std::string(); };
  std::string out = pad("layer", wn) + "  " + pad("role", wr) + "  " + pad("shape", ws) + "  " + pad("scheme", wsch) +
                    "  bits/w  " + scores_col(score_head) + "set by\n";
  for (const auto& row : rows)
    out += pad(row.name, wn) + "  " + pad(row.role, wr) + "  " + pad(row.shape, ws) + "  " + pad(row.scheme, wsch) +
           "  " + pad(row.bits, 6) + "  " + scores_col(row.scores) + row.origin + "\n";
  return out;
}

std::string plan_summary(const dsl::Recipe& r, const Plan& plan) {
  const Summary& s = plan.summary;
  std::string out = "recipe " + r.name.value + " on " + plan.inventory.architecture + ": " +
                    std::to_string(plan.layers.size()) + " linear layers in " + std::to_string(plan.inventory.num_blocks) +
                    " blocks, " + std::to_string(s.quantized) + " quantized, " + std::to_string(s.kept) + " kept\n";
  size_t w = 6;
  for (const auto& row : s.by_scheme) w = std::max(w, row.label.size());
  out += pad("scheme", w) + "  layers   params(M)  bits/w\n";
  for (const auto& row : s.by_scheme)
    out += pad(row.label, w) + "  " + pad(std::to_string(row.layers), 7) + "  " +
           pad(fixed(static_cast<double>(row.params) / 1e6, 1), 9) + "  " + fixed(row.bits_per_weight) + "\n";
  out += "average bits/weight, all linears (kept at 16): " + fixed(s.avg_bits, 4) + " with scale/zp bits, " +
         fixed(s.avg_weight_bits, 4) + " weights only\n";
  out += "average bits/weight, quantized linears only:   " + fixed(s.avg_bits_quantized, 4) + " with scale/zp bits, " +
         fixed(s.avg_weight_bits_quantized, 4) + " weights only\n";
  if (r.target) {
    const bool scale = r.target->count_scale_bits.value;
    out += "target avg_bits " + fixed(r.target->avg_bits.value, 3) + " over quantized linears, " +
           (scale ? "scale/zp bits counted" : "weights only") + " (reachable " + fixed(plan.target_min_bits, 4) +
           " to " + fixed(plan.target_max_bits, 4) + ")\n";
    if (const auto& a = plan.allocation) {
      out += "allocator: " + std::to_string(a->units) + " units, scores " +
             (a->table.method.empty() ? "unnamed" : a->table.method) + ", achieved " +
             fixed(s.avg_bits_quantized, 4) + " with scale/zp bits, " + fixed(s.avg_weight_bits_quantized, 4) +
             " weights only; budget " + std::to_string(a->budget_bits + a->fixed_bits) + " bits, used " +
             std::to_string(a->used_bits + a->fixed_bits) + "; summed score " + fixed(a->loss, 6) + "; " +
             std::to_string(a->peak_states) + " DP states at most" + (a->exact ? " (exact)" : "") + "\n";
      for (const auto& note : a->notes) out += "allocator: " + note + "\n";
    } else {
      out += "target: no sensitivity scores were given, so layers no rule pinned show the default scheme\n";
    }
  }
  if (r.exports.empty()) out += "no export: listed, so no format checks were made\n";
  return out;
}

std::string warnings_text(const Plan& plan) {
  std::string out;
  for (const auto& w : plan.warnings) out += dsl::format_diagnostic(w.loc, w.message, "", "warning") + "\n";
  return out;
}

nlohmann::json layer_config_entry(const LayerPlan& l) {
  nlohmann::json j;
  if (l.keep) {
    j["bits"] = 16;
    j["data_type"] = "float";
    return j;
  }
  const schemes::Scheme& s = l.scheme;
  j["bits"] = s.bits;
  j["group_size"] = group_size_json(s);
  j["sym"] = s.sym;
  j["data_type"] = s.data_type;
  if (!s.weight_only()) {
    j["act_bits"] = s.act_bits;
    j["act_group_size"] = s.act_group_size;
    j["act_sym"] = s.act_sym;
    j["act_data_type"] = s.act_data_type;
    j["act_dynamic"] = s.act_dynamic;
  }
  if (s.is_gguf_k()) {
    j["super_bits"] = s.super_bits;
    j["super_group_size"] = s.super_group_size;
  }
  if (s.is_gguf()) j["gguf_type"] = s.gguf_type;
  return j;
}

nlohmann::json allocation_json(const Plan& plan) {
  const Allocation& a = *plan.allocation;
  const Summary& s = plan.summary;
  return {{"method", a.table.method},
          {"options", a.options},
          {"option_scores", a.option_loss},
          {"units", a.units},
          {"params", a.params},
          {"budget_bits", a.budget_bits + a.fixed_bits},
          {"fixed_bits", a.fixed_bits},
          {"used_bits", a.used_bits + a.fixed_bits},
          {"score", a.loss},
          {"achieved_avg_bits", s.avg_bits_quantized},
          {"achieved_avg_weight_bits", s.avg_weight_bits_quantized},
          {"exact", a.exact},
          {"resolution_bits", a.resolution},
          {"peak_states", a.peak_states},
          {"notes", a.notes}};
}

nlohmann::json plan_json(const dsl::Recipe& r, const Plan& plan, const ModelSource& model) {
  using nlohmann::json;
  json out;
  out["recipe"] = {{"name", r.name.value}, {"path", r.sources.front()->path}, {"sha256", recipe_sha256(r)}};
  out["model"] = {{"config", model.config_path}, {"architecture", plan.inventory.architecture},
                  {"num_blocks", plan.inventory.num_blocks}};
  const Summary& s = plan.summary;
  json counts = json::array();
  for (const auto& row : s.by_scheme)
    counts.push_back({{"scheme", row.label}, {"layers", row.layers}, {"params", row.params},
                      {"bits_per_weight", row.bits_per_weight}});
  out["summary"] = {{"layers", plan.layers.size()},
                    {"quantized", s.quantized},
                    {"kept", s.kept},
                    {"params", s.params},
                    {"avg_bits", s.avg_bits},
                    {"avg_weight_bits", s.avg_weight_bits},
                    {"avg_bits_quantized", s.avg_bits_quantized},
                    {"avg_weight_bits_quantized", s.avg_weight_bits_quantized},
                    {"by_scheme", counts}};
  if (r.target) {
    out["target"] = {{"avg_bits", r.target->avg_bits.value},
                     {"count_scale_bits", r.target->count_scale_bits.value},
                     {"min_bits", plan.target_min_bits},
                     {"max_bits", plan.target_max_bits}};
    if (plan.allocation) out["allocation"] = allocation_json(plan);
  }
  json rules = json::array();
  for (const auto& rule : r.rules)
    rules.push_back({{"index", rule.index}, {"name", rule.label}, {"at", rule.loc.str()},
                     {"match", rule.match.text()}, {"matched", plan.rule_matches[rule.index - 1]}});
  out["rules"] = rules;
  json warnings = json::array();
  for (const auto& w : plan.warnings) warnings.push_back({{"at", w.loc.str()}, {"message", w.message}});
  out["warnings"] = warnings;
  out["set_by_fields"] = json::array();
  for (size_t f = 0; f < kFieldCount; ++f) out["set_by_fields"].push_back(field_name(static_cast<Field>(f)));
  return out;
}

namespace {

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

// ', "option": "W4A16G32", "score": 0.01, "scores": [...], "unit": 3' for a layer the
// allocator chose for; "" otherwise.
std::string allocation_fields(const Plan& plan, size_t i) {
  if (!plan.allocation || plan.allocation->choice[i] < 0) return "";
  const Allocation& a = *plan.allocation;
  const auto row = a.scores_of(plan.layers[i].layer.name);
  const size_t k = static_cast<size_t>(a.choice[i]);
  return ", \"option\": " + quoted(a.options[k]) + ", \"score\": " + nlohmann::json(row[k]).dump() +
         ", \"scores\": " + nlohmann::json(row).dump() + ", \"unit\": " + std::to_string(a.unit[i]);
}

// 45,000 layers (DeepSeek-V3) through nlohmann objects cost seconds; layer rows are
// written directly instead, with each distinct scheme serialized once.
class LayerRowWriter {
 public:
  const std::string& scheme_json(const LayerPlan& l) {
    const std::string key = l.keep ? "keep" : l.scheme.label() + "|" + std::to_string(l.scheme.act_group_size) + "|" +
                                                  l.scheme.act_data_type + "|" + std::to_string(l.scheme.act_dynamic) +
                                                  "|" + std::to_string(l.scheme.super_bits);
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, layer_config_entry(l).dump()).first;
    return it->second;
  }

 private:
  std::map<std::string, std::string> cache_;
};

}  // namespace

std::string plan_json_text(const dsl::Recipe& r, const Plan& plan, const ModelSource& model) {
  nlohmann::json head = plan_json(r, plan, model);
  std::string text = head.dump(1);
  // Per layer: the scheme, and for each field (in "set_by_fields" order) the rule that
  // set it: an index into "rules", 0 = the default scheme, -1 = a built-in default.
  std::string layers = ",\n \"layers\": [";
  LayerRowWriter w;
  bool first = true;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const auto& l = plan.layers[i];
    const auto b = schemes::layer_bits(l.effective(), l.layer.out_features, l.layer.in_features);
    layers += first ? "\n  {" : ",\n  {";
    first = false;
    layers += "\"name\": " + quoted(l.layer.name) + ", \"role\": \"" + role_name(l.layer.role) +
              "\", \"block\": " + std::to_string(l.layer.block) + ", \"shape\": [" +
              std::to_string(l.layer.out_features) + ", " + std::to_string(l.layer.in_features) +
              "], \"keep\": " + (l.keep ? "true" : "false") + ", \"scheme\": " + w.scheme_json(l) +
              ", \"label\": " + quoted(l.keep ? "keep" : l.scheme.label()) + ", \"bits_per_weight\": " +
              nlohmann::json(b.bits_per_weight()).dump() + ", \"set_by\": [";
    for (size_t f = 0; f < kFieldCount; ++f) layers += (f ? "," : "") + std::to_string(l.source[f]);
    layers += "]";
    if (r.target && !l.pinned && !l.keep) layers += ", \"free\": true";
    layers += allocation_fields(plan, i);
    layers += "}";
  }
  layers += "\n ]\n}";
  text.resize(text.rfind('}'));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text + layers;
}


std::string recipe_sha256(const dsl::Recipe& r) {
  dsl::Sha256 h;
  for (const auto& src : r.sources) {
    h.update(src->path);
    h.update("\0", 1);
    h.update(src->text);
    h.update("\0", 1);
  }
  for (const auto& o : r.overrides) {
    h.update("--set ");
    h.update(o);
    h.update("\0", 1);
  }
  return h.hex_digest();
}

nlohmann::json lock_json(const dsl::Recipe& r, const Plan& plan, const ModelSource& model) {
  using nlohmann::json;
  json files = json::array();
  for (const auto& src : r.sources) files.push_back({{"path", src->path}, {"sha256", dsl::sha256_hex(src->text)}});
  json lock;
  lock["lock_version"] = 1;
  lock["language"] = dsl::kLanguageVersion;
  lock["tool"] = "arecipe 0.1.0";
  lock["recipe"] = {{"name", r.name.value}, {"sha256", recipe_sha256(r)}, {"files", files}, {"overrides", r.overrides}};
  // The model is identified by what planning and running read: config.json, and
  // the safetensors headers (names, dtypes, shapes, offsets) when weights are present.
  dsl::Sha256 fp;
  fp.update(model.config_sha256);
  fp.update(model.headers_sha256);
  lock["model"] = {{"id", r.model ? r.model->value : model.dir},
                   {"revision", r.revision ? json(r.revision->value) : json(nullptr)},
                   {"architecture", plan.inventory.architecture},
                   {"config_sha256", model.config_sha256},
                   {"safetensors_headers_sha256", model.headers_sha256.empty() ? json(nullptr) : json(model.headers_sha256)},
                   {"shards", model.shards},
                   {"fingerprint", fp.hex_digest()}};
  json calib = json::array();
  for (const auto& c : r.calibration) {
    json s = json::object();
    if (c.dataset) s["dataset"] = c.dataset->value;
    if (c.file) s["file"] = c.file->value;
    if (c.split) s["split"] = c.split->value;
    if (c.field) s["field"] = c.field->value;
    if (c.config) s["config"] = c.config->value;
    if (c.share) s["share"] = c.share->value;
    calib.push_back(s);
  }
  json tuning = json::object();
  if (r.tuning.nsamples) tuning["nsamples"] = r.tuning.nsamples->value;
  if (r.tuning.seqlen) tuning["seqlen"] = r.tuning.seqlen->value;
  if (r.tuning.seed) tuning["seed"] = r.tuning.seed->value;
  // The spec of the calibration data (sources + sample shape), not the data itself:
  // `run` adds the hash of the token batches it actually drew.
  lock["calibration"] = {{"sources", calib}, {"sampling", tuning},
                         {"sha256", dsl::sha256_hex(json({calib, tuning}).dump())}};
  const Summary& s = plan.summary;
  lock["average_bits"] = {{"all_linears", s.avg_bits},
                          {"all_linears_weights_only", s.avg_weight_bits},
                          {"quantized", s.avg_bits_quantized},
                          {"quantized_weights_only", s.avg_weight_bits_quantized}};
  if (r.target) {
    lock["target"] = {{"avg_bits", r.target->avg_bits.value}, {"count_scale_bits", r.target->count_scale_bits.value}};
    // The scores the choice was made from travel with it: the lock alone explains it.
    if (plan.allocation) {
      json a = allocation_json(plan);
      a["scores"] = plan.allocation->table.scores;
      a["score_options"] = plan.allocation->table.options;
      lock["allocation"] = a;
    }
  }
  return lock;
}

std::string lock_json_text(const dsl::Recipe& r, const Plan& plan, const ModelSource& model) {
  std::string text = lock_json(r, plan, model).dump(1);
  text.resize(text.rfind('}'));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  // layer_config in upstream's shape, in inventory order, plus the rule that decided
  // each layer; written directly (see LayerRowWriter).
  std::string rows = ",\n \"layer_config\": {";
  LayerRowWriter w;
  std::map<std::pair<int, int>, std::string> origins;
  bool first = true;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const auto& l = plan.layers[i];
    const Field f = l.keep ? Field::keep : Field::bits;
    const auto key = std::make_pair(l.source[static_cast<size_t>(f)], static_cast<int>(l.layer.role) * 2 + l.keep);
    auto it = origins.find(key);
    if (it == origins.end()) it = origins.emplace(key, quoted(field_origin(r, l, f))).first;
    std::string entry = w.scheme_json(l);
    entry.pop_back();  // reopen the object to add "source"
    rows += (first ? "\n  " : ",\n  ") + quoted(l.layer.name) + ": " + entry + ",\"source\":" + it->second + allocation_fields(plan, i) + "}";
    first = false;
  }
  return text + rows + "\n }\n}\n";
}


}  // namespace arecipe::autoscheme
