// A recipe as typed data. Every value set by the user carries the file:line:col it
// came from, so later stages (plan, explain, lock) can say which line decided what.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/selector.h"
#include "dsl/source.h"

namespace arecipe::dsl {

template <typename T>
struct Located {
  T value{};
  SourceLoc loc;
};

// Scheme fields a recipe sets. Unset fields are inherited: from earlier rules for a
// rule's scheme, from upstream's dataclass defaults for the default scheme.
struct SchemeFields {
  std::optional<Located<int>> bits;
  std::optional<Located<int>> group_size;
  std::optional<Located<int>> group_rows;  // 2-D blocks: group_size: [rows, cols]
  std::optional<Located<bool>> sym;
  std::optional<Located<std::string>> data_type;
  std::optional<Located<int>> act_bits;
  std::optional<Located<int>> act_group_size;
  std::optional<Located<bool>> act_sym;
  std::optional<Located<std::string>> act_data_type;
  std::optional<Located<bool>> act_dynamic;
  std::optional<Located<int>> super_bits;
  std::optional<Located<int>> super_group_size;
  std::optional<Located<std::string>> gguf_type;  // only through a GGUF preset
};

// `scheme: W4A16`, `scheme: {preset: W2A16, group_size: 32}` or `scheme: {bits: 8}`.
// A preset sets every field of the preset (at the preset's location); explicit
// fields then override it.
struct SchemeSpec {
  std::optional<Located<std::string>> preset;  // canonical name
  SchemeFields fields;
  SourceLoc loc;
};

struct Rule {
  int index = 0;               // 1-based position in the final (extended) rule list
  std::string label;           // `name:` of the rule, or "" (messages use "rule N")
  SourceLoc loc;               // the rule's `- match:` entry
  Selector match;
  std::optional<SchemeSpec> scheme;
  std::optional<Located<bool>> keep;
  std::string display() const;  // "rule 3 'protect attention' (r.yaml:12:5)"
};

struct Target {
  Located<double> avg_bits;
  std::vector<Located<std::string>> options;  // canonical preset names
  Located<bool> count_scale_bits{true, {}};
  SourceLoc loc;
};

// Layers that must share one scheme. `auto`: q/k/v and gate/up of a block (and MLA's
// q_a/kv_a) when an export format fuses them; `none`; or explicit groups, each a list
// of selectors applied per block.
struct TieSpec {
  enum class Mode { auto_, none, groups } mode = Mode::auto_;
  std::vector<std::vector<Selector>> groups;
  SourceLoc loc;
};

struct Tuning {
  std::optional<Located<std::string>> preset;  // default | best | light | rtn | opt_rtn
  std::optional<Located<std::string>> experts;  // auto | joint | streamed (MoE blocks)
  std::optional<Located<int>> iters, nsamples, seqlen, batch_size, gradient_accumulate_steps, seed;
  std::optional<Located<double>> lr, minmax_lr;
  std::optional<Located<bool>> enable_alg_ext, enable_quanted_input, enable_minmax_tuning, low_gpu_mem_usage;
  SourceLoc loc;
};

struct CalibrationSource {
  std::optional<Located<std::string>> dataset, file, split, field, config;
  std::optional<Located<double>> share;
  SourceLoc loc;
};

struct Eval {
  std::vector<Located<std::string>> datasets;
  std::optional<Located<int>> seqlen, max_tokens;
  SourceLoc loc;
};

struct Recipe {
  Located<int> version;
  Located<std::string> name;
  Located<std::string> description;
  // The recipe file, then each file it extends, nearest first; the texts feed the lock
  // file's recipe hash.
  std::vector<std::shared_ptr<const SourceFile>> sources;
  std::vector<std::string> overrides;  // the --set arguments applied, in order
  std::optional<Located<std::string>> model;
  std::optional<Located<std::string>> revision;
  SchemeSpec scheme;  // the default scheme (W4A16 when absent, as upstream)
  std::vector<Rule> rules;
  std::optional<Target> target;
  TieSpec tie;
  Tuning tuning;
  std::vector<CalibrationSource> calibration;
  std::vector<Located<std::string>> exports;  // normalized export format names
  Located<std::string> output;               // resolved ({name} expanded), validated
  Located<std::string> device{"auto", {}};
  std::optional<Eval> eval;
};

}  // namespace arecipe::dsl
