#include "cli/score_source.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "engine/probe/sensitivity.h"
#include "engine/util/files.h"

namespace arecipe::cli {

void add_score_flags(CLI::App& sub, ScoreOptions& o, const std::string& prefix) {
  sub.add_option("--scores", o.scores_file, "Target: read sensitivity scores from this JSON file instead of probing");
  sub.add_option("--write-scores", o.write_scores, "Target: save the sensitivity scores used as JSON");
  sub.add_option("--probe", o.probe, "Target: probe method, delta_loss (upstream's) or block_mse")->capture_default_str();
  sub.add_option("--" + prefix + "nsamples", o.nsamples, "Target: calibration samples for the probe")
      ->capture_default_str();
  sub.add_option("--" + prefix + "seqlen", o.seqlen, "Target: tokens per calibration sample for the probe")
      ->capture_default_str();
  sub.add_option("--" + prefix + "batch-size", o.batch_size, "Target: probe batch size")->capture_default_str();
  sub.add_option("--resident-samples", o.resident_samples,
                 "Target: delta_loss holds block inputs for this many samples at once (0 = all; lower bounds memory)")
      ->capture_default_str();
  sub.add_option("--probe-cache", o.probe_cache,
                 "Target: probe cache folder (default $ARECIPE_PROBE_CACHE or ~/.cache/arecipe/probes)");
  sub.add_flag("--no-probe-cache", o.no_probe_cache, "Target: neither read nor write the probe cache");
}

autoscheme::ScoreSource score_source(const ScoreOptions& o) {
  return [&o](const autoscheme::ScoreQuery& q) {
    autoscheme::SensitivityTable t;
    if (!o.scores_file.empty()) {
      t = autoscheme::sensitivity_from_json(read_text_file(o.scores_file), o.scores_file);
    } else {
      probe::ProbeRequest req;
      req.model_dir = q.model.dir;
      req.recipe = &q.recipe;
      req.layers = q.layers;
      req.options = q.options;
      req.method = o.probe;
      req.nsamples = o.nsamples, req.seqlen = o.seqlen, req.batch_size = o.batch_size;
      req.resident_samples = o.resident_samples;
      req.cache_dir = o.no_probe_cache ? "" : o.probe_cache.empty() ? probe::default_cache_dir() : o.probe_cache;
      req.progress = o.progress;
      std::fprintf(stderr, "probing %zu layers x %zu options (%s, %d samples x %d tokens)\n", q.layers.size(),
                   q.options.size(), o.probe.c_str(), o.nsamples, o.seqlen);
      t = probe::probe_sensitivity(req);
    }
    if (!o.write_scores.empty()) {
      write_file_atomic(o.write_scores, autoscheme::sensitivity_to_json(t));
      std::fprintf(stderr, "wrote %s\n", o.write_scores.c_str());
    }
    return t;
  };
}

}  // namespace arecipe::cli
