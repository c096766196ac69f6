// The typed half of loading: a merged YAML tree -> Recipe, validating every value.
#include <re2/re2.h>

#include <algorithm>

#include "dsl/loader.h"
#include "dsl/output_path.h"
#include "dsl/scheme_spec.h"
#include "dsl/suggest.h"
#include "dsl/tree_loading.h"
#include "dsl/values.h"
#include "engine/util/error.h"
#include "schemes/formats.h"
#include "schemes/presets.h"

namespace arecipe::dsl {

namespace {

const std::vector<std::string> kTopKeys = {
    "arecipe", "name",  "description", "extends", "model",  "revision", "scheme", "rules",
    "target",  "tie",   "tuning",      "calibration", "export", "output", "device", "eval"};

std::string file_stem(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

Rule parse_rule(const YNode& n, int index) {
  Rule r;
  r.index = index;
  r.loc = n.loc;
  const std::string where = "rule " + std::to_string(index);
  if (!n.is_mapping())
    fail_at(n.loc, where + " must be a mapping like {match: ..., scheme: ...}, not " + std::string(n.kind_name()));
  check_keys(n, {"name", "match", "scheme", "keep"}, where,
             "scheme fields go under scheme:, e.g. scheme: {bits: 8}");
  for (const auto& [k, v] : n.entries) {
    for (const auto& f : scheme_field_names())
      if (k.value == f)
        fail_at(k.loc, "'" + f + "' is a scheme field, not a rule key", "write scheme: {" + f + ": " + v.value + "}");
  }
  if (const YNode* v = n.find("name")) r.label = read_string(*v, "rule name").value;
  const YNode* m = n.find("match");
  if (!m) fail_at(n.loc, where + " has no match: (which layers it applies to)", "match: \"*\" selects every layer");
  r.match = Selector::parse(*m);
  if (const YNode* v = n.find("scheme")) r.scheme = parse_scheme_spec(*v, where);
  if (const YNode* v = n.find("keep")) r.keep = read_bool(*v, "keep");
  if (!r.scheme && !r.keep) fail_at(n.loc, where + " sets nothing", "give it scheme: ... or keep: true");
  if (r.scheme && r.keep && r.keep->value)
    fail_at(r.keep->loc, where + " says keep: true and also gives a scheme", "a kept layer stays in source precision; drop one of them");
  return r;
}

Target parse_target(const YNode& n) {
  expect_mapping(n, "target");
  check_keys(n, {"avg_bits", "options", "count_scale_bits"}, "target");
  Target t;
  t.loc = n.loc;
  const YNode* a = n.find("avg_bits");
  if (!a) fail_at(n.loc, "target needs avg_bits: (the average bits per weight to reach)");
  t.avg_bits = read_number(*a, "avg_bits", 1.0, 32.0);
  const YNode* o = n.find("options");
  if (!o) fail_at(n.loc, "target needs options: (the schemes to choose from, e.g. [W2A16G64, W4A16])");
  for (auto opt : read_string_list(*o, "target option")) {
    auto canon = schemes::canonical_preset_name(opt.value);
    if (!canon) fail_at(opt.loc, "unknown scheme preset '" + opt.value + "'", did_you_mean(opt.value, schemes::preset_names()));
    for (const auto& prev : t.options)
      if (prev.value == *canon) fail_at(opt.loc, "option " + *canon + " listed twice");
    opt.value = *canon;
    t.options.push_back(opt);
  }
  if (const YNode* c = n.find("count_scale_bits")) t.count_scale_bits = read_bool(*c, "count_scale_bits");
  else t.count_scale_bits.loc = n.loc;
  return t;
}

TieSpec parse_tie(const YNode& n) {
  TieSpec t;
  t.loc = n.loc;
  if (n.is_scalar()) {
    if (n.value == "auto") t.mode = TieSpec::Mode::auto_;
    else if (n.value == "none") t.mode = TieSpec::Mode::none;
    else fail_at(n.loc, "tie: expected auto, none or a list of groups, got '" + n.value + "'", did_you_mean(n.value, {"auto", "none"}));
    return t;
  }
  if (!n.is_sequence() || n.items.empty())
    fail_at(n.loc, "tie: expected auto, none or a list of groups like [[\"*.q_proj\", \"*.k_proj\"]]");
  t.mode = TieSpec::Mode::groups;
  for (const auto& g : n.items) {
    if (!g.is_sequence() || g.items.size() < 2)
      fail_at(g.loc, "a tie group is a list of at least two selectors");
    std::vector<Selector> group;
    for (const auto& s : g.items) group.push_back(Selector::parse(s));
    t.groups.push_back(std::move(group));
  }
  return t;
}

Tuning parse_tuning(const YNode& n) {
  expect_mapping(n, "tuning");
  check_keys(n, {"preset", "iters", "nsamples", "seqlen", "batch_size", "gradient_accumulate_steps", "lr",
                 "minmax_lr", "seed", "enable_alg_ext", "enable_quanted_input", "enable_minmax_tuning",
                 "low_gpu_mem_usage", "experts"},
             "tuning");
  Tuning t;
  t.loc = n.loc;
  if (const YNode* v = n.find("preset")) {
    t.preset = read_string(*v, "tuning preset");
    // Upstream spells its recipe auto-round-opt-rtn; accept both spellings.
    if (t.preset->value == "opt-rtn") t.preset->value = "opt_rtn";
    const std::vector<std::string> presets = {"default", "best", "light", "rtn", "opt_rtn"};
    bool ok = false;
    for (const auto& p : presets) ok = ok || p == t.preset->value;
    if (!ok) fail_at(v->loc, "unknown tuning preset '" + v->value + "'", did_you_mean(v->value, presets));
  }
  auto int_field = [&](const char* key, std::optional<Located<int>>& dst, long min, long max) {
    if (const YNode* v = n.find(key)) dst = read_int(*v, key, min, max);
  };
  int_field("iters", t.iters, 0, 100000);
  int_field("nsamples", t.nsamples, 1, 1 << 20);
  int_field("seqlen", t.seqlen, 1, 1 << 20);
  int_field("batch_size", t.batch_size, 1, 1 << 16);
  int_field("gradient_accumulate_steps", t.gradient_accumulate_steps, 1, 1 << 16);
  int_field("seed", t.seed, 0, 2147483647);
  if (const YNode* v = n.find("lr")) t.lr = read_number(*v, "lr", 1e-12, 10.0);
  if (const YNode* v = n.find("minmax_lr")) t.minmax_lr = read_number(*v, "minmax_lr", 1e-12, 10.0);
  auto bool_field = [&](const char* key, std::optional<Located<bool>>& dst) {
    if (const YNode* v = n.find(key)) dst = read_bool(*v, key);
  };
  bool_field("enable_alg_ext", t.enable_alg_ext);
  bool_field("enable_quanted_input", t.enable_quanted_input);
  bool_field("enable_minmax_tuning", t.enable_minmax_tuning);
  bool_field("low_gpu_mem_usage", t.low_gpu_mem_usage);
  if (const YNode* v = n.find("experts")) {
    t.experts = read_string(*v, "tuning.experts");
    const std::vector<std::string> modes = {"auto", "joint", "streamed"};
    if (std::find(modes.begin(), modes.end(), t.experts->value) == modes.end())
      fail_at(v->loc, "tuning.experts: expected auto, joint or streamed, got '" + v->value + "'",
              did_you_mean(v->value, modes));
  }
  return t;
}

std::vector<CalibrationSource> parse_calibration(const YNode& n) {
  std::vector<CalibrationSource> out;
  std::vector<const YNode*> items;
  if (n.is_sequence()) for (const auto& i : n.items) items.push_back(&i);
  else items.push_back(&n);
  double shares = 0;
  for (const YNode* i : items) {
    CalibrationSource c;
    c.loc = i->loc;
    if (i->is_scalar()) {
      c.dataset = read_string(*i, "calibration dataset");
    } else {
      expect_mapping(*i, "a calibration source");
      check_keys(*i, {"dataset", "file", "split", "field", "config", "share"}, "calibration source");
      auto str = [&](const char* key, std::optional<Located<std::string>>& dst) {
        if (const YNode* v = i->find(key)) dst = read_string(*v, key);
      };
      str("dataset", c.dataset);
      str("file", c.file);
      str("split", c.split);
      str("field", c.field);
      str("config", c.config);
      if (const YNode* v = i->find("share")) {
        c.share = read_number(*v, "share", 0.0, 1.0);
        if (c.share->value <= 0) fail_at(v->loc, "share must be above 0");
        shares += c.share->value;
      }
      if (c.dataset.has_value() == c.file.has_value())
        fail_at(i->loc, "a calibration source names exactly one of dataset: or file:");
    }
    out.push_back(c);
  }
  if (shares > 1.0 + 1e-9) fail_at(n.loc, "calibration shares add up to more than 1");
  return out;
}

Eval parse_eval(const YNode& n) {
  Eval e;
  e.loc = n.loc;
  if (n.is_scalar() || n.is_sequence()) {
    e.datasets = read_string_list(n, "eval dataset");
    return e;
  }
  expect_mapping(n, "eval");
  check_keys(n, {"datasets", "seqlen", "max_tokens"}, "eval");
  if (const YNode* v = n.find("datasets")) e.datasets = read_string_list(*v, "eval dataset");
  if (const YNode* v = n.find("seqlen")) e.seqlen = read_int(*v, "seqlen", 1, 1 << 20);
  if (const YNode* v = n.find("max_tokens")) e.max_tokens = read_int(*v, "max_tokens", 1, 2147483647);
  return e;
}

std::vector<Located<std::string>> parse_exports(const YNode& n) {
  std::vector<Located<std::string>> out;
  int gguf = 0;
  for (auto f : read_string_list(n, "export format")) {
    auto fmt = schemes::parse_export_format(f.value);
    if (!fmt) fail_at(f.loc, "unknown export format '" + f.value + "'", did_you_mean(f.value, schemes::export_format_names()));
    for (const auto& prev : out)
      if (prev.value == fmt->name) fail_at(f.loc, "export format " + fmt->name + " listed twice");
    if (fmt->kind == schemes::FormatKind::gguf && ++gguf > 1)
      fail_at(f.loc, "only one gguf: format per recipe (each is a different mixture of types)");
    out.push_back({fmt->name, f.loc});
  }
  return out;
}

Located<std::string> parse_device(const YNode& n) {
  Located<std::string> d = read_string(n, "device");
  static const RE2 ok("auto|cpu|cuda(:\\d+(,\\d+)*)?");
  if (!RE2::FullMatch(d.value, ok))
    fail_at(n.loc, "device: expected auto, cpu, cuda, cuda:N or cuda:N,M, got '" + d.value + "'");
  return d;
}

Recipe convert(const MergedTree& tree, const LoadOptions& options) {
  const YNode& root = tree.root;
  check_keys(root, kTopKeys, "the recipe");
  Recipe r;
  r.sources = tree.sources;
  r.overrides = options.overrides;
  const YNode* version = root.find("arecipe");
  r.version = read_int(*version, "arecipe (language version)", 0, 1000000);
  if (r.version.value != kLanguageVersion)
    fail_at(version->loc, "unsupported recipe language version " + std::to_string(r.version.value),
            "this build of arecipe reads version " + std::to_string(kLanguageVersion));
  if (const YNode* v = root.find("name")) {
    r.name = read_string(*v, "name");
    static const RE2 ok("[A-Za-z0-9][A-Za-z0-9._-]*");
    if (!RE2::FullMatch(r.name.value, ok))
      fail_at(v->loc, "name '" + r.name.value + "' may use only letters, digits, '.', '_' and '-'",
              "the name becomes a folder name through output: out/{name}");
  } else {
    r.name = {file_stem(tree.sources.front()->path), root.loc};
  }
  if (const YNode* v = root.find("description")) r.description = read_string(*v, "description");
  if (const YNode* v = root.find("model")) r.model = read_string(*v, "model");
  if (const YNode* v = root.find("revision")) r.revision = read_string(*v, "revision");
  if (const YNode* v = root.find("scheme")) {
    r.scheme = parse_scheme_spec(*v, "scheme");
  } else {
    // Upstream's default scheme.
    r.scheme.preset = Located<std::string>{"W4A16", root.loc};
    r.scheme.loc = root.loc;
  }
  if (const YNode* v = root.find("rules"); v && !v->is_null()) {
    if (!v->is_sequence()) fail_at(v->loc, std::string("rules must be a list, not ") + v->kind_name());
    int index = 0;
    for (const auto& item : v->items) r.rules.push_back(parse_rule(item, ++index));
  }
  if (const YNode* v = root.find("target"); v && !v->is_null()) r.target = parse_target(*v);
  if (const YNode* v = root.find("tie")) r.tie = parse_tie(*v);
  else r.tie.loc = root.loc;
  if (const YNode* v = root.find("tuning"); v && !v->is_null()) r.tuning = parse_tuning(*v);
  if (const YNode* v = root.find("calibration"); v && !v->is_null()) r.calibration = parse_calibration(*v);
  if (const YNode* v = root.find("export"); v && !v->is_null()) r.exports = parse_exports(*v);
  if (const YNode* v = root.find("device")) r.device = parse_device(*v);
  else r.device.loc = root.loc;
  if (const YNode* v = root.find("eval"); v && !v->is_null()) r.eval = parse_eval(*v);
  Located<std::string> output{"out/{name}", root.loc};
  if (const YNode* v = root.find("output")) output = read_string(*v, "output");
  r.output = {resolve_output_path(output.value, r.name.value, output.loc, options.allow_output_anywhere), output.loc};
  return r;
}

}  // namespace

std::string Rule::display() const {
  std::string s = "rule " + std::to_string(index);
  if (!label.empty()) s += " '" + label + "'";
  return s + " (" + loc.str() + ")";
}

Recipe load_recipe(const std::string& path, const LoadOptions& options) {
  return convert(load_merged_tree(read_source_file(path, options.limits), options), options);
}

Recipe load_recipe_text(const std::string& text, const std::string& path, const LoadOptions& options) {
  auto file = std::make_shared<SourceFile>();
  file->path = path;
  file->text = text;
  return convert(load_merged_tree(file, options), options);
}

}  // namespace arecipe::dsl
