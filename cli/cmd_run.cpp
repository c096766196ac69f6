// arecipe run RECIPE [--model DIR] [--set k=v]... [--output DIR] [--force] [--resume] [--json]
// Plans the recipe against the model, quantizes (RTN model-free; opt-RTN and SignRound
// block by block with calibration data), writes every export format the recipe lists
// with the lock file and a model card next to the weights, then evaluates perplexity
// before/after when the recipe has an eval: section.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "autoscheme/planning.h"
#include "autoscheme/report.h"
#include "autoscheme/summary.h"
#include "autoscheme/tuning_settings.h"
#include "cli/command.h"
#include "cli/json_out.h"
#include "cli/score_source.h"
#include "engine/eval/text_perplexity.h"
#include "engine/tune/block_executor.h"
#include "engine/util/error.h"
#include "engine/util/files.h"
#include "engine/util/runtime.h"
#include "exporters/gguf/arch.h"
#include "exporters/gguf/export_model.h"
#include "exporters/gguf/imatrix.h"
#include "exporters/gguf/to_hf.h"
#include "exporters/model_card.h"
#include "exporters/model_export.h"
#include "exporters/output_dir.h"

namespace arecipe::cli {
namespace {

using autoscheme::TuningMode;

struct RunArgs {
  autoscheme::PlanRequest request;
  std::string output;  // overrides the recipe's output:
  bool force = false;
  bool resume = false;
  bool json = false;
  int threads = 0;
  ScoreOptions scores;  // a target: scored as `plan` scores it (cli/score_source.h)
};

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) {
  if (g_stop.exchange(true)) std::_Exit(130);  // second Ctrl-C: stop now
}

// The recipe's default scheme as the layers that no rule touched carry it; the
// export's global quantization_config keys. Falls back to the first quantized layer.
exporters::LayerScheme global_scheme(const autoscheme::Plan& plan) {
  const autoscheme::LayerPlan* first = nullptr;
  for (const auto& l : plan.layers) {
    if (l.keep) continue;
    if (!l.pinned) return exporters::to_layer_scheme(l.scheme);
    if (!first) first = &l;
  }
  if (!first) throw Error("arecipe run: the plan quantizes no layer");
  return exporters::to_layer_scheme(first->scheme);
}

// What upstream's quantization_config records about tuning: its serialized keys with
// the defaults filtered out (export/utils.py filter_quantization_config).
nlohmann::json tuning_keys(const autoscheme::TuningSettings& t, int global_bits) {
  nlohmann::json k = {{"autoround_version", "0.16.1"}};
  if (t.mode != TuningMode::SignRound) {
    k["enable_quanted_input"] = false;  // iters 0: no quantized-input chain
    return k;
  }
  if (t.iters != 200) k["iters"] = t.iters;
  if (t.nsamples != 128) k["nsamples"] = t.nsamples;
  if (t.seqlen != 2048) k["seqlen"] = t.seqlen;
  if (t.batch_size != 8) k["batch_size"] = t.batch_size;
  if (t.gradient_accumulate_steps != 1) k["gradient_accumulate_steps"] = t.gradient_accumulate_steps;
  const double lr = t.lr_for_bits(global_bits);
  if (lr != 1.0 / t.iters) k["lr"] = lr;
  if (t.minmax_lr_for_bits(global_bits) != 1.0 / t.iters) k["minmax_lr"] = t.minmax_lr_for_bits(global_bits);
  if (!t.enable_minmax_tuning) k["enable_minmax_tuning"] = false;
  if (!t.enable_quanted_input) k["enable_quanted_input"] = false;
  if (t.low_gpu_mem_usage) k["low_gpu_mem_usage"] = true;
  return k;
}

// `gguf`: tuned GGUF, where the layers tune only their rounding over llama.cpp's scales.
std::string tuning_text(const autoscheme::TuningSettings& t, const text::CalibrationReport* calib, bool gguf) {
  std::string s;
  switch (t.mode) {
    case TuningMode::Rtn: return "Round to nearest (no calibration data).";
    case TuningMode::OptRtn:
      s = gguf ? "llama.cpp's quantizers with the calibration imatrix (GGUF RTN-with-imatrix)"
               : "Optimized RTN (imatrix-weighted scale search for int sym < 8 bits)";
      break;
    case TuningMode::SignRound:
      s = "SignRound, " + std::to_string(t.iters) + " iterations per block, batch " + std::to_string(t.batch_size) +
          ", lr " + (t.lr ? std::to_string(*t.lr) : "1/iters") +
          (gguf ? ", GGUF types over llama.cpp's frozen scales (rounding only)"
                : t.enable_minmax_tuning ? ", min/max tuning" : "") +
          (t.enable_quanted_input ? ", quantized-input chain" : "");
      break;
  }
  s += "; calibration: " + std::to_string(calib ? calib->produced : 0) + " samples x " + std::to_string(t.seqlen) +
       " tokens (seed " + std::to_string(t.seed) + ").";
  return s;
}

bool is_gguf_format(const std::string& f) { return f.rfind("gguf:", 0) == 0; }

// Recipe rules that give a layer a GGUF scheme (`scheme: GGUF:Q6_K` on a match) override
// that tensor's mixture type, as llama-quantize's --tensor-type does (exact name). Rules
// with other schemes cannot say a GGUF type and are reported as ignored.
std::vector<gguf::TypeOverride> recipe_overrides(const autoscheme::Plan& plan, const std::string& model_dir) {
  std::vector<gguf::TypeOverride> out;
  for (const auto& l : plan.layers) {
    if (!l.pinned || l.keep) continue;
    const auto name = gguf::gguf_tensor_name(l.layer.name + ".weight", model_dir);
    if (!name) continue;
    const auto type = ggml::parse_type(l.scheme.gguf_type);
    if (l.scheme.gguf_type.empty() || !type) {
      spdlog::warn("{}: a rule sets a non-GGUF scheme; the GGUF export keeps the mixture's type", l.layer.name);
      continue;
    }
    out.push_back({"^" + std::regex_replace(*name, std::regex(R"(\.)"), R"(\.)") + "$", *type});
  }
  return out;
}

gguf::ExportOptions gguf_options(const std::string& format, const autoscheme::Plan& plan, const std::string& model_dir) {
  gguf::ExportOptions o;
  o.mixture = format.substr(5);
  o.overrides = recipe_overrides(plan, model_dir);
  return o;
}

// export: [gguf:TYPE] with RTN: llama.cpp's own quantizers and mixture rules
// (docs/gguf.md), byte-identical to llama-quantize, written to <dir>/<name>-<type>.gguf
// with the lock file and model card beside it.
std::string export_gguf(const std::string& model_dir, const gguf::ExportOptions& o, const std::string& dir,
                        const std::string& name, bool force, const std::map<std::string, std::string>& side_files) {
  exporters::OutputDir out(dir, force);  // staged under <dir>.tmp-<pid>, renamed when complete
  gguf::export_model(model_dir, o, out.path() + "/" + name + "-" + o.mixture + ".gguf");
  for (const auto& [file, contents] : side_files) write_file_atomic(out.path() + "/" + file, contents);
  out.commit();
  return out.final_path();
}

// Tuned GGUF (opt-RTN or SignRound): every in-block linear gets its GGUF type from the
// mixture rules before tuning; the executor tunes the codes over llama.cpp's frozen
// scales and hands back the encoded rows, which replace the source encode in the same
// exporter. The calibration imatrix the layers were encoded with is written beside the
// file (<name>-imatrix.gguf): `arecipe gguf MODEL --type T --imatrix` on it gives the
// RTN-with-imatrix file that tuning starts from.
tune::GgufTuning gguf_tuning(const std::string& model_dir, const gguf::ExportOptions& base,
                             const exporters::ModelExportRequest& req, const std::string& name) {
  std::set<std::string> in_block;
  for (const auto& l : req.layers)
    if (l.in_block) in_block.insert(l.name);
  tune::GgufTuning g;
  for (const gguf::PlannedTensor& t : gguf::plan_tensors(model_dir, base, true)) {
    const std::string suffix = ".weight";
    if (t.hf_name.size() <= suffix.size()) continue;
    const std::string module = t.hf_name.substr(0, t.hf_name.size() - suffix.size());
    if (in_block.count(module)) g.layers[module] = {t.gguf_name, t.type};
  }
  g.write = [model_dir, base, dir = req.out_dir, force = req.force, side = req.side_files, name, n = g.layers.size()](
                const gguf::Imatrix& im, const tune::GgufTuning::BytesOf& bytes_of) {
    exporters::OutputDir out(dir, force);
    const std::string imatrix_file = name + "-imatrix.gguf";
    gguf::write_imatrix_gguf(out.path() + "/" + imatrix_file, im);
    gguf::ExportOptions o = base;
    o.imatrix = &im;
    o.imatrix_file = imatrix_file;
    o.encoded = [&](const std::string& tensor, ggml::Type, std::vector<uint8_t>& bytes) { return bytes_of(tensor, bytes); };
    gguf::export_model(model_dir, o, out.path() + "/" + name + "-" + o.mixture + ".gguf");
    for (const auto& [file, contents] : side) write_file_atomic(out.path() + "/" + file, contents);
    out.commit();
    exporters::ModelExportResult r;
    r.out_dirs.push_back(out.final_path());
    r.quantized = n;
    return r;
  };
  return g;
}

struct EvalPlan {
  std::string text;
  int64_t seqlen = 2048;
  std::optional<int64_t> windows;
};

// eval: datasets must be local text files (arecipe does not download datasets).
std::vector<EvalPlan> eval_plans(const dsl::Recipe& r) {
  std::vector<EvalPlan> out;
  if (!r.eval) return out;
  for (const auto& d : r.eval->datasets) {
    if (!std::filesystem::is_regular_file(d.value))
      fail(d.loc.str(), "eval dataset '" + d.value +
                            "' is not a local text file; arecipe evaluates perplexity on local files "
                            "(download the dataset's text once and give its path)");
    EvalPlan p;
    p.text = d.value;
    if (r.eval->seqlen) p.seqlen = r.eval->seqlen->value;
    if (r.eval->max_tokens) p.windows = std::max<int64_t>(1, r.eval->max_tokens->value / (p.seqlen - 1));
    out.push_back(p);
  }
  return out;
}

// The export to evaluate: the fake-quant one when there is one (plain weights), else
// the first format (packed checkpoints are dequantized on load).
std::string eval_dir(const std::vector<std::string>& formats, const std::vector<std::string>& dirs) {
  for (size_t i = 0; i < formats.size(); ++i)
    if (formats[i] == "fake") return dirs[i];
  return dirs.front();
}

void run(const RunArgs& a) {
  init_runtime(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  autoscheme::PlanRequest plan_request = a.request;
  plan_request.scores = score_source(a.scores);  // a target allocates as `arecipe plan` does
  const autoscheme::Planned p = autoscheme::plan_recipe(plan_request);
  const autoscheme::TuningSettings tuning = autoscheme::resolve_tuning(p.recipe);
  std::fputs(autoscheme::warnings_text(p.plan).c_str(), stderr);
  for (const auto& w : tuning.warnings) spdlog::warn("{}", w);
  const std::vector<EvalPlan> evals = eval_plans(p.recipe);
  const autoscheme::Summary summary = autoscheme::summarize(p.plan);

  exporters::ModelExportRequest req;
  req.model_dir = p.model.dir;
  req.out_dir = a.output.empty() ? p.recipe.output.value : a.output;
  req.force = a.force;
  req.global = global_scheme(p.plan);
  std::vector<std::string> gguf_formats;
  for (const auto& e : p.recipe.exports) (is_gguf_format(e.value) ? gguf_formats : req.formats).push_back(e.value);
  if (req.formats.empty() && gguf_formats.empty()) req.formats.push_back("auto_round");  // upstream's default format
  if (!gguf_formats.empty() && !req.formats.empty())
    fail(p.recipe.sources.front()->path, "a GGUF export and other formats in one run are not supported yet; "
                                         "run the recipe once per kind of export");
  if (tuning.mode != TuningMode::Rtn && p.recipe.calibration.empty())
    fail(p.recipe.sources.front()->path,
         std::string(tuning.mode == TuningMode::SignRound ? "SignRound tuning" : "opt-RTN") +
             " needs calibration data: add e.g. calibration: [{file: my-text.txt}], or use tuning: {preset: rtn}");
  for (const auto& l : p.plan.layers)
    req.layers.push_back({l.layer.name, !l.keep && !l.scheme.is_unquantized(), exporters::to_layer_scheme(l.scheme),
                          l.layer.block >= 0});
  req.extra_keys = tuning_keys(tuning, req.global.bits);
  req.show_progress = !a.json && spdlog::get_level() <= spdlog::level::info;
  const std::string lock = autoscheme::lock_json_text(p.recipe, p.plan, p.model);
  req.side_files["arecipe.lock.json"] = lock;

  exporters::ModelCard card;
  card.title = p.recipe.name.value;
  card.description = p.recipe.description.value;
  card.source_model = p.recipe.model ? p.recipe.model->value : p.model.dir;
  card.scheme_summary = autoscheme::plan_summary(p.recipe, p.plan);
  card.recipe_text = p.recipe.sources.front()->text;

  exporters::ModelExportResult exported;
  std::vector<tune::BlockReport> blocks;
  const text::CalibrationReport* calib_report = nullptr;
  tune::ExecutorResult executed;
  if (tuning.mode == TuningMode::Rtn) {
    spdlog::info("quantizing {} with RTN into {}", p.model.dir, req.out_dir);
    card.tuning = tuning_text(tuning, nullptr, !gguf_formats.empty());
    req.side_files["README.md"] = exporters::model_card_markdown(card, false);
    if (gguf_formats.empty()) {
      exported = exporters::quantize_and_export(req);
    } else {
      req.formats = gguf_formats;
      exported.out_dirs.push_back(export_gguf(p.model.dir, gguf_options(gguf_formats.front(), p.plan, p.model.dir),
                                              req.out_dir, p.recipe.name.value, req.force, req.side_files));
    }
  } else {
    tune::ExecutorRequest x;
    x.tuning = tuning;
    x.calibration = p.recipe.calibration;
    x.fingerprint = lock + "\n" + req.extra_keys.dump() + "\nseed " + std::to_string(tuning.seed) +
                    "\nformats " + nlohmann::json(req.formats).dump() +
                    (gguf_formats.empty() ? "" : " " + nlohmann::json(gguf_formats).dump());
    x.work_dir = req.out_dir + ".arecipe-work";
    x.resume = a.resume;
    x.show_progress = !a.json && spdlog::get_level() <= spdlog::level::info;
    x.stop_requested = [] { return g_stop.load(); };
    spdlog::info("quantizing {} with {} into {}", p.model.dir, autoscheme::to_string(tuning.mode), req.out_dir);
    // The model card must exist before the sinks finish; the measured perplexity is
    // added to it after evaluation.
    card.tuning = tuning_text(tuning, nullptr, !gguf_formats.empty());
    req.side_files["README.md"] = exporters::model_card_markdown(card, false);
    x.export_request = req;
    if (!gguf_formats.empty()) {
      x.gguf = gguf_tuning(p.model.dir, gguf_options(gguf_formats.front(), p.plan, p.model.dir), req, p.recipe.name.value);
      req.formats = gguf_formats;  // the output list below names the GGUF
    }
    std::signal(SIGINT, on_sigint);
    executed = tune::run_blocks(x);
    std::signal(SIGINT, SIG_DFL);
    if (executed.interrupted) {
      std::fprintf(stderr, "arecipe: interrupted after block %d; continue with: arecipe run %s --resume\n",
                   executed.blocks.back().block, a.request.recipe.c_str());
      std::exit(130);
    }
    exported = executed.exported;
    blocks = executed.blocks;
    calib_report = &executed.calibration;
  }
  for (const auto& name : exported.kept_unpackable)
    spdlog::warn("{}: kept in source precision (in/out features not multiples of 32, as upstream)", name);

  // Evaluate, then complete each output's model card with what was measured.
  card.tuning = tuning_text(tuning, calib_report, !gguf_formats.empty());
  if (std::any_of(blocks.begin(), blocks.end(), [](const tune::BlockReport& b) { return b.streamed_experts; }))
    card.tuning += " MoE blocks were tuned expert by expert (tuning.experts: streamed; their block losses are "
                   "sums over attention, each expert and the shared experts).";
  for (const auto& b : blocks) card.blocks.push_back({b.block, b.rtn_loss, b.best_loss, b.best_iter});
  for (const auto& e : evals) {
    PerplexityOptions opt;
    opt.seqlen = e.seqlen;
    opt.max_windows = e.windows;
    opt.show_progress = !a.json && spdlog::get_level() <= spdlog::level::info;
    spdlog::info("evaluating perplexity on {} (seqlen {})", e.text, e.seqlen);
    const PerplexityResult fp = text_perplexity(p.model.dir, e.text, opt);
    PerplexityResult q;
    if (!gguf_formats.empty()) {
      // The GGUF file, dequantized into a temporary HF dir with the source's tokenizer.
      const std::string file = exported.out_dirs.front() + "/" + p.recipe.name.value + "-" +
                               gguf_formats.front().substr(5) + ".gguf";
      const gguf::TempHfDir hf = gguf::gguf_to_temp_hf(file, p.model.dir);
      q = text_perplexity(hf.path(), e.text, opt);
    } else {
      q = text_perplexity(eval_dir(req.formats, exported.out_dirs), e.text, opt);
    }
    card.perplexity.push_back({e.text, e.seqlen, q.windows, fp.ppl, q.ppl});
  }
  const bool plot = !card.blocks.empty();
  for (size_t i = 0; i < exported.out_dirs.size(); ++i) {
    card.format = req.formats[i];
    write_file_atomic(exported.out_dirs[i] + "/README.md", exporters::model_card_markdown(card, plot));
    if (plot) write_file_atomic(exported.out_dirs[i] + "/block_loss.svg", exporters::block_loss_svg(card.blocks));
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (a.json) {
    nlohmann::ordered_json j;
    j["recipe"] = p.recipe.name.value;
    j["model"] = p.model.dir;
    j["tuning"] = autoscheme::to_string(tuning.mode);
    j["avg_bits"] = summary.avg_bits;
    j["avg_weight_bits"] = summary.avg_weight_bits;
    nlohmann::ordered_json formats = nlohmann::ordered_json::object();
    for (size_t i = 0; i < req.formats.size(); ++i) formats[req.formats[i]] = exported.out_dirs[i];
    j["formats"] = formats;
    j["quantized_layers"] = exported.quantized;
    j["kept_unpackable"] = exported.kept_unpackable;
    if (!blocks.empty() || tuning.mode != TuningMode::Rtn) {
      nlohmann::ordered_json bl = nlohmann::ordered_json::array();
      for (const auto& b : blocks)
        bl.push_back({{"block", b.block}, {"layers", b.layers}, {"rtn_loss", b.rtn_loss}, {"best_loss", b.best_loss},
                      {"best_iter", b.best_iter}, {"seconds", b.seconds}, {"peak_rss_mb", b.peak_rss_mb},
                      {"streamed_experts", b.streamed_experts}});
      j["blocks"] = bl;
      j["resumed_blocks"] = executed.resumed_blocks;
    }
    if (!card.perplexity.empty()) {
      const auto& first = card.perplexity.front();
      j["ppl"] = {{"fp", first.fp}, {"quantized", first.quantized}};
      nlohmann::ordered_json all = nlohmann::ordered_json::array();
      for (const auto& e : card.perplexity)
        all.push_back({{"text", e.dataset}, {"seqlen", e.seqlen}, {"windows", e.windows}, {"fp", e.fp},
                       {"quantized", e.quantized}});
      j["eval"] = all;
    }
    j["seconds"] = seconds;
    print_json(j);
    return;
  }
  std::printf("%-28s %s\n", "recipe", p.recipe.name.value.c_str());
  std::printf("%-28s %s\n", "tuning", autoscheme::to_string(tuning.mode));
  std::printf("%-28s %.4f (%.4f without scale/zero bits)\n", "average bits", summary.avg_bits, summary.avg_weight_bits);
  std::printf("%-28s %zu\n", "quantized layers", exported.quantized);
  for (const auto& b : blocks)
    std::printf("block %-4d loss %.4e (RTN) -> %.4e (iter %d)\n", b.block, b.rtn_loss, b.best_loss, b.best_iter);
  for (const auto& e : card.perplexity)
    std::printf("perplexity %-17s FP %.4f -> %.4f (%+.2f%%)\n", e.dataset.c_str(), e.fp, e.quantized,
                100.0 * (e.quantized / e.fp - 1.0));
  for (size_t i = 0; i < exported.out_dirs.size(); ++i)
    std::printf("wrote %-22s %s\n", req.formats[i].c_str(), exported.out_dirs[i].c_str());
  std::printf("%-28s %.1f s\n", "time", seconds);
}

static CommandRegistrar reg("run", 30, [](CLI::App& root) {
  auto args = std::make_shared<RunArgs>();
  auto* sub = root.add_subcommand("run", "Quantize a model as a recipe says and export it");
  add_log_flags(*sub);
  sub->add_option("recipe", args->request.recipe, "Recipe file or published recipe name")->required();
  sub->add_option("--model", args->request.model, "Model folder (default: the recipe's model:)");
  sub->add_option("--set", args->request.overrides, "Override a recipe value: path=value (repeatable)");
  sub->add_option("--output", args->output, "Output folder (default: the recipe's output:)");
  sub->add_flag("--force", args->force, "Replace an existing output folder (and an interrupted run's state)");
  sub->add_flag("--resume", args->resume, "Continue an interrupted run from its last finished block");
  sub->add_option("--threads", args->threads, "CPU threads (default: all cores)");
  sub->add_flag("--json", args->json, "Print the result as JSON");
  add_score_flags(*sub, args->scores, "probe-");
  sub->add_flag("--allow-output-anywhere", args->request.allow_output_anywhere,
                "Let output: be absolute or outside the working directory");
  sub->callback([args] { run(*args); });
});

}  // namespace
}  // namespace arecipe::cli
