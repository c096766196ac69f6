#include "autoscheme/tuning_settings.h"

#include <algorithm>

#include "engine/util/error.h"

namespace arecipe::autoscheme {

double TuningSettings::lr_for_bits(int bits) const {
  if (lr) return *lr;
  if (iters <= 0) return 0.0;
  // Upstream doubles the step for low-bit layers on long runs (auto-round-best at W2).
  return (iters >= 1000 && bits <= 3 ? 2.0 : 1.0) / iters;
}

int TuningSettings::global_batch() const {
  return std::min(nsamples, std::min(batch_size, nsamples) * gradient_accumulate_steps);
}

const char* to_string(TuningMode mode) {
  switch (mode) {
    case TuningMode::Rtn: return "rtn";
    case TuningMode::OptRtn: return "opt_rtn";
    case TuningMode::SignRound: return "signround";
  }
  return "?";
}

const char* to_string(ExpertTuning experts) {
  switch (experts) {
    case ExpertTuning::Auto: return "auto";
    case ExpertTuning::Joint: return "joint";
    case ExpertTuning::Streamed: return "streamed";
  }
  return "?";
}

TuningSettings resolve_tuning(const dsl::Recipe& recipe) {
  const dsl::Tuning& t = recipe.tuning;
  TuningSettings s;
  if (t.preset) s.preset = t.preset->value;
  // Preset defaults (spec section 4): auto-round, -best, -light, -rtn, -opt-rtn.
  if (s.preset == "best") {
    s.iters = 1000;
    s.nsamples = 512;
  } else if (s.preset == "light") {
    s.iters = 50;
    s.lr = 5e-3;
  } else if (s.preset == "rtn" || s.preset == "opt_rtn") {
    s.iters = 0;
  }
  if (t.iters) s.iters = t.iters->value;
  if (t.nsamples) s.nsamples = t.nsamples->value;
  if (t.seqlen) s.seqlen = t.seqlen->value;
  if (t.batch_size) s.batch_size = t.batch_size->value;
  if (t.gradient_accumulate_steps) s.gradient_accumulate_steps = t.gradient_accumulate_steps->value;
  if (t.seed) s.seed = static_cast<uint64_t>(t.seed->value);
  if (t.lr) s.lr = t.lr->value;
  if (t.minmax_lr) s.minmax_lr = t.minmax_lr->value;
  if (t.enable_minmax_tuning) s.enable_minmax_tuning = t.enable_minmax_tuning->value;
  if (t.enable_quanted_input) s.enable_quanted_input = t.enable_quanted_input->value;
  if (t.low_gpu_mem_usage) s.low_gpu_mem_usage = t.low_gpu_mem_usage->value;
  if (t.experts)  // the parser admits only these three
    s.experts = t.experts->value == "joint" ? ExpertTuning::Joint
                : t.experts->value == "streamed" ? ExpertTuning::Streamed : ExpertTuning::Auto;
  if (t.enable_alg_ext && t.enable_alg_ext->value)
    fail(t.enable_alg_ext->loc.str(), "enable_alg_ext (SignRoundV2) is not implemented yet; remove it or set it to false");

  // arecipe tunes and exports on the CPU (the CUDA fake-quant kernels build but the
  // executor has no device placement yet): a recipe asking for a GPU gets an error,
  // not a silent CPU run. `auto` means the best device available, which is the CPU.
  if (recipe.device.value.rfind("cuda", 0) == 0)
    fail(recipe.device.loc.str(), "device: " + recipe.device.value +
                                      ": GPU tuning is not implemented yet; arecipe runs on the CPU. Use device: auto "
                                      "or cpu");
  if (t.low_gpu_mem_usage && t.low_gpu_mem_usage->value)
    s.warnings.push_back("tuning.low_gpu_mem_usage has no effect on the CPU: activations already stay in host memory");

  if (s.iters > 0) {
    s.mode = TuningMode::SignRound;
  } else {
    // iters 0: upstream turns opt-RTN on unless the rtn recipe disables it.
    s.mode = s.preset == "rtn" ? TuningMode::Rtn : TuningMode::OptRtn;
    auto unused = [&](bool set, const char* key) {
      if (set) s.warnings.push_back(std::string("tuning.") + key + " has no effect with iters 0 (" + to_string(s.mode) + ")");
    };
    unused(t.lr.has_value(), "lr");
    unused(t.minmax_lr.has_value(), "minmax_lr");
    unused(t.batch_size.has_value(), "batch_size");
    unused(t.gradient_accumulate_steps.has_value(), "gradient_accumulate_steps");
    unused(t.enable_minmax_tuning.has_value(), "enable_minmax_tuning");
    unused(t.enable_quanted_input.has_value(), "enable_quanted_input");
    if (s.mode == TuningMode::Rtn) {
      unused(t.nsamples.has_value(), "nsamples");
      unused(t.seqlen.has_value(), "seqlen");
    }
  }
  return s;
}

}  // namespace arecipe::autoscheme
