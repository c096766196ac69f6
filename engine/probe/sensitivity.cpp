#include "engine/probe/sensitivity.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>

#include "dsl/recipe.h"
#include "dsl/sha256.h"
#include "engine/probe/block_mse.h"
#include "engine/probe/delta_loss.h"
#include "engine/probe/inactive_experts.h"
#include "engine/probe/probe_cache.h"
#include "engine/text/tokenizer.h"
#include "engine/tune/calibration_inputs.h"
#include "engine/util/error.h"
#include "engine/util/progress.h"
#include "engine/util/runtime.h"

namespace arecipe::probe {
namespace {

std::string ids_sha256(const at::Tensor& ids) {
  const at::Tensor c = ids.to(at::kLong).contiguous();
  dsl::Sha256 h;
  h.update(c.data_ptr(), static_cast<size_t>(c.numel()) * sizeof(int64_t));
  return h.hex_digest();
}

void check_request(const ProbeRequest& r) {
  if (r.method != "delta_loss" && r.method != "block_mse")
    throw Error("sensitivity probe: unknown method '" + r.method + "' (delta_loss or block_mse)");
  if (!r.recipe) throw Error("sensitivity probe: no recipe (its calibration: section gives the data)");
  if (r.options.empty()) throw Error("sensitivity probe: no options to score");
  if (r.nsamples <= 0 || r.seqlen < 2 || r.batch_size <= 0 || r.resident_samples < 0)
    throw Error("sensitivity probe: nsamples and batch_size must be positive, seqlen at least 2 and "
                "resident_samples not negative (got " + std::to_string(r.nsamples) + ", " +
                std::to_string(r.batch_size) + ", " + std::to_string(r.seqlen) + ", " +
                std::to_string(r.resident_samples) + ")");
  for (const auto& o : r.options)
    if (!is_unquantized_option(o)) probe_scheme(o);  // refuses unscorable options before any work
}

}  // namespace

std::string default_cache_dir() {
  if (const char* e = std::getenv("ARECIPE_PROBE_CACHE"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/arecipe/probes";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/arecipe/probes";
  return ".arecipe-cache/probes";
}

autoscheme::SensitivityTable probe_sensitivity(const ProbeRequest& req) {
  check_request(req);
  if (req.threads > 0) init_runtime(req.threads);
  const Model model = Model::open(req.model_dir);
  const std::vector<ProbeLayer> layers = resolve_layers(model, req.layers);
  if (req.seqlen > model.config().max_position_embeddings && model.config().max_position_embeddings > 0)
    spdlog::warn("probe seqlen {} exceeds the model's max_position_embeddings {}", req.seqlen,
                 model.config().max_position_embeddings);

  autoscheme::SensitivityTable table;
  table.method = req.method;
  table.options = req.options;
  std::vector<std::vector<double>> by_option(req.options.size());
  std::vector<size_t> todo;  // options that need a pass
  for (size_t k = 0; k < req.options.size(); ++k) {
    if (is_unquantized_option(req.options[k]))
      by_option[k].assign(layers.size(), 0.0);
    else
      todo.push_back(k);
  }

  if (!todo.empty()) {
    const Tokenizer tok = Tokenizer::from_model_dir(req.model_dir);
    // Upstream's AutoScheme samples its calibration set with seed 42 whatever the
    // tuning seed (get_score_for_scheme); so do we, to probe the same samples.
    const tune::CalibrationInputs calib =
        tune::load_calibration(req.recipe->calibration, tok, req.nsamples, req.seqlen, 42);
    if (calib.ids.size(0) < req.nsamples)
      spdlog::warn("probe calibration gave {} samples of the {} asked for", calib.ids.size(0), req.nsamples);
    const ProbeCache cache(req.cache_dir);
    CacheKey key;
    if (cache.enabled()) {
      key.model_fingerprint = model_fingerprint(req.model_dir);
      key.calibration_sha256 = ids_sha256(calib.ids);
    }
    key.method = req.method;
    key.nsamples = req.nsamples;
    key.seqlen = req.seqlen;
    key.batch_size = req.batch_size;
    key.layers = req.layers;
    std::vector<size_t> missing;
    for (size_t k : todo) {
      key.option = req.options[k];
      if (auto hit = cache.read(key)) {
        spdlog::info("probe {} {}: cached ({})", req.method, req.options[k], cache.path(key));
        by_option[k] = std::move(*hit);
      } else {
        missing.push_back(k);
      }
    }

    const int64_t nb = model.num_blocks();
    const auto t0 = std::chrono::steady_clock::now();
    if (req.method == "delta_loss") {
      for (size_t k : missing) {
        const int64_t chunks = delta_loss_chunks(calib.ids.size(0), req.batch_size, req.resident_samples);
        Progress bar("delta loss " + req.options[k], chunks * (2 * nb + 1), req.progress);
        by_option[k] = delta_loss_scores(model, layers, probe_scheme(req.options[k]), calib.ids, req.batch_size,
                                         req.resident_samples, &bar);
        bar.finish();
      }
    } else if (!missing.empty()) {
      std::vector<exporters::LayerScheme> schemes;
      for (size_t k : missing) schemes.push_back(probe_scheme(req.options[k]));
      Progress bar("block mse", nb + 1, req.progress);
      std::vector<std::vector<double>> s =
          block_mse_scores(model, layers, schemes, calib.ids, calib.loss_mask, req.batch_size, &bar);
      bar.finish();
      for (size_t i = 0; i < missing.size(); ++i) by_option[missing[i]] = std::move(s[i]);
    }
    if (!missing.empty())
      spdlog::info("probe {}: {} option(s) x {} layers in {:.1f} s", req.method, missing.size(), layers.size(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    for (size_t k : missing) {
      key.option = req.options[k];
      cache.write(key, by_option[k]);
    }
  }

  // As upstream, after scoring (the cache keeps the raw scores): experts no token
  // reached take their block's typical expert score under each option.
  std::vector<std::string> names;
  for (const ProbeLayer& l : layers) names.push_back(l.name);
  for (std::vector<double>& scores : by_option) fill_inactive_expert_scores(names, scores);
  for (size_t i = 0; i < layers.size(); ++i) {
    std::vector<double>& row = table.scores[layers[i].name];
    for (size_t k = 0; k < req.options.size(); ++k) row.push_back(by_option[k][i]);
  }
  return table;
}

}  // namespace arecipe::probe
