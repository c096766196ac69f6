// Sensitivity probes for AutoScheme (docs/autoscheme.md): per layer and per option, the
// score the allocator minimises. Block-streamed: one block's weights and the calibration
// activations are resident at a time, as in tuning. Results are cached on disk, keyed by
// model fingerprint, calibration data, probe settings and option.
#pragma once

#include <string>
#include <vector>

#include "autoscheme/sensitivity.h"

namespace arecipe::dsl { struct Recipe; }

namespace arecipe::probe {

struct ProbeRequest {
  std::string model_dir;
  // Its calibration: sources (required), sampled with seed 42 as upstream's AutoScheme does.
  const dsl::Recipe* recipe = nullptr;
  std::vector<std::string> layers;      // the free layers to score (plan order)
  std::vector<std::string> options;     // canonical preset names (target.options)
  std::string method = "delta_loss";    // delta_loss | block_mse
  int nsamples = 16, seqlen = 256, batch_size = 8;  // upstream's AutoScheme defaults
  // delta_loss holds every block's input for this many samples at once (whole
  // batches); 0 = all of them. Lower it to bound memory on deep models, at the cost
  // of loading each block once more per chunk; the scores do not change.
  int resident_samples = 0;
  std::string cache_dir;                // "" = no cache
  int threads = 0;                      // 0 = runtime default
  bool progress = false;
};

// Scores every layer of request.layers for every option, in request order. 16-bit
// options score 0 without a pass; options already in the cache cost no pass. Throws
// Error for an unknown method, layer or option, an option the probes cannot score
// (activation-quantized or GGUF), missing calibration data or bad settings.
autoscheme::SensitivityTable probe_sensitivity(const ProbeRequest& request);

// The cache directory `plan`/`probe` use when none is given: $ARECIPE_PROBE_CACHE,
// else $XDG_CACHE_HOME/arecipe/probes, else ~/.cache/arecipe/probes.
std::string default_cache_dir();

}  // namespace arecipe::probe
