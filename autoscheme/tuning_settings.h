// The recipe's `tuning:` section resolved into the numbers the tuner runs with:
// preset defaults first (upstream's auto-round, auto-round-best, -light, -rtn,
// -opt-rtn recipes), then the fields the recipe sets. Torch-free, so `plan` and the
// lock file can show exactly what `run` will do.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsl/recipe.h"

namespace arecipe::autoscheme {

enum class TuningMode {
  Rtn,        // round to nearest, no data (upstream --iters 0 --disable_opt_rtn)
  OptRtn,     // iters 0: imatrix-weighted scale search for int sym < 8 bits (spec 3.2)
  SignRound,  // iters > 0: sign-gradient descent on rounding offsets and clip ranges
};

// How MoE blocks are tuned (docs/moe.md): all linears of a block together on the
// block's output, as upstream does (joint), or expert by expert with one expert's
// weights resident (streamed); auto streams when a joint block would not fit in memory.
enum class ExpertTuning { Auto, Joint, Streamed };

struct TuningSettings {
  std::string preset = "default";
  TuningMode mode = TuningMode::SignRound;
  int iters = 200;
  int nsamples = 128;
  int seqlen = 2048;
  int batch_size = 8;
  int gradient_accumulate_steps = 1;
  uint64_t seed = 42;
  std::optional<double> lr;         // unset: 1/iters (2/iters at <= 3 bits with >= 1000 iters)
  std::optional<double> minmax_lr;  // unset: the layer's lr
  bool enable_minmax_tuning = true;
  bool enable_quanted_input = true;
  bool low_gpu_mem_usage = false;
  ExpertTuning experts = ExpertTuning::Auto;
  // Settings given but without effect (e.g. lr with iters 0): said, not silently dropped.
  std::vector<std::string> warnings;

  // Upstream's _lr_for_bits.
  double lr_for_bits(int bits) const;
  double minmax_lr_for_bits(int bits) const { return minmax_lr ? *minmax_lr : lr_for_bits(bits); }
  // Samples per optimizer step: upstream clamps batch_size to nsamples.
  int global_batch() const;
};

// Throws Error (file:line:col) for settings arecipe does not implement.
TuningSettings resolve_tuning(const dsl::Recipe& recipe);

const char* to_string(TuningMode mode);
const char* to_string(ExpertTuning experts);

}  // namespace arecipe::autoscheme
