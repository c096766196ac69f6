// Where a recipe's `target:` gets its sensitivity scores, shared by `arecipe plan` and
// `arecipe run` so both allocate the same way: the sensitivity probes (engine/probe,
// cached on disk, so a run after a plan reuses the plan's scores) or a scores file.
#pragma once

#include <string>

#include "autoscheme/planning.h"

namespace CLI {
class App;
}

namespace arecipe::cli {

struct ScoreOptions {
  std::string scores_file;   // scores instead of probing
  std::string write_scores;  // save the scores used
  std::string probe = "delta_loss";
  int nsamples = 16, seqlen = 256, batch_size = 8;  // upstream's AutoScheme defaults
  int resident_samples = 0;  // 0 = all (probe::ProbeRequest)
  std::string probe_cache;   // "" = probe::default_cache_dir()
  bool no_probe_cache = false;
  bool progress = true;      // the probe's progress lines on stderr
};

// The target flags (--scores, --write-scores, --probe, --nsamples, --seqlen,
// --batch-size, --resident-samples, --probe-cache, --no-probe-cache). `prefix` is put
// before the flag names that would clash with a command's own (run: "probe-").
void add_score_flags(CLI::App& sub, ScoreOptions& o, const std::string& prefix = "");

// Called by plan_recipe only when the recipe has a target. `o` must outlive it.
autoscheme::ScoreSource score_source(const ScoreOptions& o);

}  // namespace arecipe::cli
