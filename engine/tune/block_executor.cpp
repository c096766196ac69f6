#include "engine/tune/block_executor.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <map>
#include <optional>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <csignal>
#include <set>

#include "dsl/sha256.h"
#include "engine/model/model.h"
#include "engine/text/tokenizer.h"
#include "engine/tune/calibration_inputs.h"
#include "engine/tune/gguf_layer.h"
#include "engine/tune/imatrix.h"
#include "engine/tune/moe_stream.h"
#include "engine/tune/signround.h"
#include "engine/util/error.h"
#include "engine/util/progress.h"
#include "engine/util/runtime.h"
#include "engine/util/torch_compat.h"
#include "exporters/layer_quantize.h"
#include "schemes/ggml/codes.h"
#include "schemes/qdq/opt_rtn_int.h"

namespace arecipe::tune {
namespace {

using autoscheme::TuningMode;
using Clock = std::chrono::steady_clock;

void check_finite(const at::Tensor& t, const std::string& what) {
  if (!at::isfinite(t).all().item<bool>()) throw Error(what + " contains NaN or Inf");
}

std::string ids_digest(const at::Tensor& ids) {
  const at::Tensor c = ids.contiguous();
  dsl::Sha256 h;
  h.update(c.data_ptr(), static_cast<size_t>(c.numel()) * sizeof(int64_t));
  return h.hex_digest();
}

struct BlockLayer {
  const exporters::LayerDecision* decision;  // int schemes
  std::string module;
  const GgufTuning::Layer* gguf = nullptr;   // tuned GGUF
};

// What the GGUF type means in the tuner's terms (learning rate by bits, the scheme
// recorded with the layer); the values come from the GGUF encoders, not from it.
exporters::LayerScheme gguf_layer_scheme(ggml::Type t) {
  exporters::LayerScheme s;
  s.data_type = "int";
  s.group_size = static_cast<int>(ggml::code_layout(t).group);
  switch (t) {
    case ggml::Type::Q2_K: s.bits = 2; break;
    case ggml::Type::Q3_K: s.bits = 3; break;
    case ggml::Type::Q4_0: case ggml::Type::Q4_1: case ggml::Type::Q4_K: s.bits = 4; break;
    case ggml::Type::Q5_0: case ggml::Type::Q5_1: case ggml::Type::Q5_K: s.bits = 5; break;
    case ggml::Type::Q6_K: s.bits = 6; break;
    default: s.bits = 8; break;
  }
  s.sym = t == ggml::Type::Q4_0 || t == ggml::Type::Q5_0 || t == ggml::Type::Q8_0 || t == ggml::Type::Q3_K ||
          t == ggml::Type::Q6_K;
  return s;
}

// A block's calibration sums as llama-imatrix records them (sum of x^2 per input
// column, token count), for the encode importance and the written imatrix file.
std::map<std::string, gguf::CalibrationSums> calibration_sums(const ImatrixCollector& c) {
  std::map<std::string, gguf::CalibrationSums> all;
  for (const std::string& m : c.modules()) {
    const at::Tensor s = c.sum(m).contiguous();
    gguf::CalibrationSums& cs = all[m];
    cs.sum_x2.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
    cs.tokens = c.tokens(m);
  }
  return all;
}

// Opt-RTN (spec 3.1/3.2): the imatrix-weighted scale search for int sym below 8 bits;
// everything else (asym, 8 bits, MX/NV) is plain RTN, as upstream routes it.
exporters::QuantizedLayer opt_rtn_layer(const exporters::LayerDecision& d, const at::Tensor& w,
                                        const at::Tensor& imatrix, const at::Tensor& nv_global_scale) {
  const exporters::LayerScheme& s = d.scheme;
  if (s.data_type != "int" || !s.sym || s.bits >= 8)
    return exporters::rtn_quantize_layer(d.name, s, w, d.in_block, nv_global_scale);
  qdq::IntQdq r = qdq::qdq_int_opt_rtn(w, {s.bits, s.group_size, s.sym}, imatrix);
  return {d.name, s, r.qdq, r.scale, {}, {}, d.in_block};
}

// Test hooks for the interruption tests (tests/tune/run_tuned.sh): right after block
// N's checkpoint is on disk, die like kill -9, or get a Ctrl-C.
void test_interruptions_after(int block) {
  auto at_block = [block](const char* var) {
    const char* env = std::getenv(var);
    return env && *env && std::atoi(env) == block;
  };
  if (at_block("ARECIPE_TEST_KILL_AFTER_BLOCK")) std::raise(SIGKILL);
  if (at_block("ARECIPE_TEST_SIGINT_AFTER_BLOCK")) std::raise(SIGINT);
}

// tuning.experts (docs/tuning.md): whether MoE blocks are tuned expert by expert. `auto`
// streams when tuning the largest block jointly would need more than 3/4 of the
// machine's memory, by the measured bytes per expert weight.
bool choose_streamed_experts(const Model& model, const autoscheme::TuningSettings& ts) {
  using autoscheme::ExpertTuning;
  double largest = 0;  // routed-expert weight elements of the largest MoE block
  std::map<int, double> per_block;
  for (const LayerInfo& l : model.inventory().layers)
    if (l.role == Role::expert_gate || l.role == Role::expert_up || l.role == Role::expert_down)
      largest = std::max(largest, per_block[l.block] += static_cast<double>(l.out_features) * l.in_features);
  if (largest == 0) return false;
  const double need = largest * kJointBytesPerExpertWeight;
  const double have = physical_memory_bytes() * 0.75;
  const double gib = 1024.0 * 1024 * 1024;
  if (ts.experts == ExpertTuning::Joint) {
    if (need > have)
      spdlog::warn("tuning.experts: joint: tuning the largest MoE block jointly needs about {:.1f} GiB, this machine "
                   "has {:.1f} GiB; consider experts: streamed (or auto)", need / gib, have / 0.75 / gib);
    return false;
  }
  if (ts.experts == ExpertTuning::Streamed) return true;
  const bool stream = need > have;
  spdlog::info("tuning.experts: auto: a joint MoE block needs about {:.2f} GiB of {:.1f} GiB usable: {}", need / gib,
               have / gib, stream ? "streaming experts one at a time" : "tuning each block jointly (as upstream)");
  return stream;
}

}  // namespace

ExecutorResult run_blocks(const ExecutorRequest& req) {
  const autoscheme::TuningSettings& ts = req.tuning;
  if (ts.mode == TuningMode::Rtn) throw Error("run_blocks: RTN needs no calibration; use quantize_and_export");
  const exporters::ModelExportRequest& er = req.export_request;
  Model model = Model::open(er.model_dir);
  const Architecture& arch = model.arch();
  const TensorStore& store = model.store();

  // Calibration: ids → embeddings, the start of both chains.
  ExecutorResult result;
  const Tokenizer tok = Tokenizer::from_model_dir(er.model_dir);
  CalibrationInputs calib = load_calibration(req.calibration, tok, ts.nsamples, ts.seqlen, ts.seed);
  result.calibration = calib.report;
  const int64_t nsamples = calib.ids.size(0);
  if (ts.mode == TuningMode::SignRound && nsamples < std::min(ts.batch_size, ts.nsamples))
    spdlog::warn("calibration gave {} samples, fewer than batch_size {}; tuning uses batches of {}", nsamples,
                 ts.batch_size, nsamples);
  spdlog::info("calibration: {} samples of {} tokens", nsamples, ts.seqlen);

  // `auto` depends on the machine: a resumed run must make the same choice.
  const bool stream_experts = ts.mode == TuningMode::SignRound && !req.gguf && choose_streamed_experts(model, ts);
  RunState state(req.work_dir, dsl::sha256_hex(req.fingerprint + "\ncalibration " + ids_digest(calib.ids) +
                                               (stream_experts ? "\nstreamed experts" : "")));
  int done = 0;
  if (req.resume) {
    done = state.load();
    if (done > model.num_blocks()) throw Error(req.work_dir + ": resume state has more blocks than the model");
    result.resumed_blocks = done;
    if (done > 0) spdlog::info("resuming after block {} of {}", done - 1, model.num_blocks());
  } else {
    state.start(er.force);
  }

  // Tuned GGUF writes through its own exporter (req.gguf->write) at the end; token_embd
  // and output stay llama.cpp's RTN there (as upstream), so no session is needed.
  const GgufTuning* gg = req.gguf ? &*req.gguf : nullptr;
  std::unique_ptr<exporters::ExportSession> session_owner;
  if (!gg) session_owner = std::make_unique<exporters::ExportSession>(er, store);
  exporters::ExportSession* session = session_owner.get();
  std::map<std::string, gguf::CalibrationSums> gguf_sums;  // every block's, for the imatrix file
  std::map<std::string, std::pair<int, std::string>> gguf_where;  // GGUF name -> block, module
  // Tensors outside the blocks (embeddings, final norm, lm_head...) go first. A
  // quantized layer outside the blocks (lm_head) is RTN: arecipe does not tune it.
  std::set<std::string> in_blocks;
  for (int b = 0; b < model.num_blocks(); ++b)
    for (const auto& n : arch.block_tensor_names(b)) in_blocks.insert(n);
  for (const std::string& name : session ? store.names() : std::vector<std::string>{}) {
    if (in_blocks.count(name)) continue;
    if (const exporters::LayerDecision* d = session->quantized(name)) {
      exporters::QuantizedLayer q = exporters::rtn_quantize_layer(
          d->name, d->scheme, exporters::load_native_float(store, name), d->in_block,
          session->nvfp4_global_scale(store, d->name));
      if (store.find(d->name + ".bias")) q.bias = exporters::load_native_float(store, d->name + ".bias");
      session->add_quantized(q);
    } else {
      session->copy_source_tensor(store, name);
    }
  }

  at::Tensor x_fp;
  {
    NoGradGuard no_grad;
    x_fp = model.embed(calib.ids);
  }
  check_finite(x_fp, "the embeddings of the calibration samples");
  at::Tensor x_q = x_fp;  // the quantized chain; block 0 sees FP inputs
  const ForwardContext ctx = arch.make_context(ts.seqlen);
  const bool quanted_input = ts.mode == TuningMode::SignRound && ts.enable_quanted_input;

  for (int b = 0; b < model.num_blocks(); ++b) {
    const auto t0 = Clock::now();
    std::vector<BlockLayer> layers;
    for (const auto& l : model.inventory().layers) {
      if (l.block != b) continue;
      if (gg) {
        if (auto it = gg->layers.find(l.name); it != gg->layers.end()) {
          layers.push_back({nullptr, l.name, &it->second});
          gguf_where[it->second.gguf_name] = {b, l.name};
        }
      } else if (const exporters::LayerDecision* d = session->quantized(l.name + ".weight")) {
        layers.push_back({d, l.name});
      }
    }
    if (session)
      for (const auto& name : arch.block_tensor_names(b))
        session->copy_source_tensor(store, name);
    auto scheme_of = [](const BlockLayer& l) { return l.gguf ? gguf_layer_scheme(l.gguf->type) : l.decision->scheme; };
    // Tuned GGUF encodes with llama-imatrix's importance from the FP pass (every mode).
    ImatrixCollector imatrix;
    ForwardContext observed = ctx;
    if (gg || ts.mode == TuningMode::OptRtn) observed.observe_linear_input = imatrix.observer();
    std::vector<std::pair<std::string, std::vector<uint8_t>>> blobs;  // tuned GGUF rows
    // Tuned GGUF: the block's sums, converted once after the FP pass, and llama.cpp's
    // frozen scales encoded with the importance llama-quantize would derive from an
    // imatrix file holding them (in_sum2 / count in fp32, built through gguf::Imatrix
    // itself), so the written imatrix file reproduces the encode (arecipe gguf --imatrix).
    std::map<std::string, gguf::CalibrationSums> block_sums;
    std::optional<gguf::Imatrix> block_imatrix;
    auto gguf_scales = [&](const BlockLayer& l, const at::Tensor& w) {
      if (!imatrix.sum(l.module).defined()) throw Error("tuned GGUF: no calibration activations reached " + l.module);
      if (!block_imatrix) {
        block_sums = calibration_sums(imatrix);
        block_imatrix = gguf::imatrix_from_calibration(block_sums, "", 0, 0);
      }
      const auto importance = block_imatrix->importance(l.gguf->gguf_name);
      if (!importance) throw Error("tuned GGUF: " + l.module + " has no GGUF imatrix name " + l.gguf->gguf_name);
      return GgufFixedScales::encode(l.gguf->type, w, *importance);
    };
    auto bias_of = [&](const std::string& module) {
      return store.find(module + ".bias") ? exporters::load_native_float(store, module + ".bias") : at::Tensor();
    };
    // Where a block's report goes once the block is done, both paths below.
    auto finish_block = [&](BlockReport& report, const std::vector<exporters::QuantizedLayer>& quantized,
                            const std::vector<std::pair<std::string, std::vector<uint8_t>>>& blobs) {
      if (b >= done) {
        report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        report.peak_rss_mb = peak_rss_bytes() / (1024.0 * 1024.0);
        state.save_block(report, quantized, blobs);
        if (report.streamed_experts)
          spdlog::info("block {}/{}: {} layers, streamed experts, summed part losses {:.3e} (RTN) -> {:.3e}, {:.1f} s",
                       b + 1, model.num_blocks(), report.layers, report.rtn_loss, report.best_loss, report.seconds);
        else if (ts.mode == TuningMode::SignRound)
          spdlog::info("block {}/{}: {} layers, loss {:.3e} (RTN) -> {:.3e} (iter {}), {:.1f} s", b + 1,
                       model.num_blocks(), report.layers, report.rtn_loss, report.best_loss, report.best_iter,
                       report.seconds);
        else
          spdlog::info("block {}/{}: {} layers, opt-RTN, {:.1f} s", b + 1, model.num_blocks(), report.layers,
                       report.seconds);
        test_interruptions_after(b);
      }
      result.blocks.push_back(report);
      return req.stop_requested && req.stop_requested() && b + 1 < model.num_blocks();
    };

    if (stream_experts && arch.routed_experts(b) > 0) {
      const BlockWeights base = model.load_block_without_experts(b);
      MoeStreamJob job;
      job.model = &model;
      job.block = b;
      job.base = &base;
      job.ctx = &ctx;
      job.x_fp = x_fp;
      job.x_in = quanted_input ? x_q : x_fp;
      job.loss_mask = calib.loss_mask;
      job.settings = &ts;
      job.seed = ts.seed + static_cast<uint64_t>(b);
      job.forward_batch = req.forward_batch;
      job.decision = [&](const std::string& module) { return session->quantized(module + ".weight"); };
      job.bias_of = bias_of;
      job.emit = [&](const std::vector<exporters::QuantizedLayer>& part) {
        for (const auto& q : part) session->add_quantized(q);
      };
      job.state = &state;
      job.replay = b < done;
      job.show_progress = req.show_progress;
      const MoeStreamResult streamed = stream_moe_block(job);
      BlockReport report = b < done ? state.reports()[b] : BlockReport{};
      report.block = b;
      if (b >= done) {
        report.layers = streamed.layers;
        report.rtn_loss = streamed.rtn_loss;
        report.best_loss = streamed.best_loss;
        report.streamed_experts = true;
        if (streamed.experts_without_tokens > 0)
          spdlog::info("block {}: {} of {} routed experts got no calibration tokens and stay RTN", b,
                       streamed.experts_without_tokens, arch.routed_experts(b));
      }
      x_fp = streamed.fp_out;
      if (quanted_input) x_q = streamed.q_out;
      if (finish_block(report, {}, {})) {
        result.interrupted = true;
        return result;
      }
      continue;
    }
    const BlockWeights fp = model.load_block(b);

    std::vector<exporters::QuantizedLayer> quantized;
    BlockReport report;
    report.block = b;
    report.layers = static_cast<int>(layers.size());
    at::Tensor ref;
    if (b < done) {
      // Replay a block finished before the interruption: its saved results, and the
      // activations recomputed exactly as the first run computed them.
      std::vector<std::string> names;
      for (const auto& l : layers) names.push_back(l.module);
      quantized = state.load_block(b, names);
      for (size_t i = 0; i < layers.size(); ++i) {
        quantized[i].scheme = scheme_of(layers[i]);
        quantized[i].in_block = true;
        quantized[i].bias = bias_of(layers[i].module);
      }
      report = state.reports()[b];
      ref = block_forward_batched(arch, b, fp, x_fp, observed, req.forward_batch);
    } else if (gg && ts.mode == TuningMode::OptRtn) {
      // iters 0 with GGUF types: llama.cpp's quantizer with the calibration imatrix.
      ref = block_forward_batched(arch, b, fp, x_fp, observed, req.forward_batch);
      for (const auto& l : layers) {
        const at::Tensor& w = fp.get(l.module + ".weight");
        TunableLayer t = TunableLayer::create_gguf(
            l.module, scheme_of(l), gguf_scales(l, w), w, bias_of(l.module), 0);
        quantized.push_back(t.finalize(true));
        blobs.emplace_back(l.module, t.gguf_bytes());
      }
    } else if (ts.mode == TuningMode::OptRtn) {
      ref = block_forward_batched(arch, b, fp, x_fp, observed, req.forward_batch);
      for (const auto& l : layers) {
        exporters::QuantizedLayer q = opt_rtn_layer(*l.decision, exporters::load_native_float(store, l.module + ".weight"),
                                                    imatrix.get(l.module), session->nvfp4_global_scale(store, l.module));
        q.bias = bias_of(l.module);
        quantized.push_back(std::move(q));
      }
    } else {
      ref = block_forward_batched(arch, b, fp, x_fp, observed, req.forward_batch);
      check_finite(ref, "block " + std::to_string(b) + "'s full-precision outputs");
      std::vector<TunableLayer> tunables;
      for (const auto& l : layers) {
        const exporters::LayerScheme s = scheme_of(l);
        const at::Tensor& w = fp.get(l.module + ".weight");
        check_finite(w, "weight of " + l.module);
        if (l.gguf)  // minmax tuning off: the scales are llama.cpp's, frozen (spec 2.1 item 4)
          tunables.push_back(TunableLayer::create_gguf(
              l.module, s, gguf_scales(l, w), w, fp.optional(l.module + ".bias"), ts.lr_for_bits(s.bits)));
        else
          tunables.push_back(TunableLayer::create(l.module, s, w, fp.optional(l.module + ".bias"), ts.enable_minmax_tuning,
                                                  ts.lr_for_bits(s.bits), ts.minmax_lr_for_bits(s.bits)));
      }
      Progress bar("block " + std::to_string(b + 1) + "/" + std::to_string(model.num_blocks()), ts.iters,
                   req.show_progress);
      BlockTuneJob job;
      job.arch = &arch;
      job.block = b;
      job.weights = &fp;
      job.layers = &tunables;
      job.ctx = &ctx;
      job.inputs = quanted_input ? x_q : x_fp;
      job.targets = ref;
      job.loss_mask = calib.loss_mask;
      job.settings = &ts;
      job.seed = ts.seed + static_cast<uint64_t>(b);
      char note[64];
      job.on_iter = [&](int, double loss) {
        std::snprintf(note, sizeof note, "loss %.3e", loss);
        bar.advance(1, note);
      };
      const BlockTuneStats st = signround_block(job);
      bar.finish();
      report.rtn_loss = st.rtn_loss;
      report.best_loss = st.best_loss;
      report.best_iter = st.best_iter;
      for (TunableLayer& t : tunables) {
        exporters::QuantizedLayer q = t.finalize(true);
        q.bias = bias_of(t.name);
        quantized.push_back(std::move(q));
        if (t.gguf) blobs.emplace_back(t.name, t.gguf_bytes());
      }
    }

    if (quanted_input) {
      BlockWeights qw = fp;
      for (const auto& q : quantized) qw.set(q.name + ".weight", q.fake_quant.to(at::kFloat));
      x_q = block_forward_batched(arch, b, qw, x_q, ctx, req.forward_batch);
    }
    x_fp = ref;
    if (session)
      for (const auto& q : quantized) session->add_quantized(q);
    if (gg) {
      if (!block_imatrix) block_sums = calibration_sums(imatrix);  // replayed blocks encode nothing
      for (auto& [module, sums] : block_sums) gguf_sums[module] = std::move(sums);
    }

    if (finish_block(report, quantized, blobs)) {
      result.interrupted = true;
      return result;  // the sinks' temp dirs are removed; the work dir stays for --resume
    }
  }
  if (gg) {
    // The tuned rows come back from the block files (the spill): one tensor in memory.
    const gguf::Imatrix im = gguf::imatrix_from_calibration(gguf_sums, "arecipe calibration",
                                                            static_cast<uint32_t>(nsamples), static_cast<uint32_t>(ts.seqlen));
    result.exported = gg->write(im, [&](const std::string& name, std::vector<uint8_t>& bytes) {
      auto it = gguf_where.find(name);
      if (it == gguf_where.end()) return false;
      bytes = state.load_blob(it->second.first, it->second.second);
      return true;
    });
  } else {
    result.exported = session->finish(er.side_files);
  }
  state.remove();
  return result;
}

}  // namespace arecipe::tune
