// The streaming quantization run (spec 1.1): calibration samples are embedded once,
// then each block in model order is loaded from the mapped checkpoint, run in full
// precision to get its reference outputs (and importance matrices), quantized (opt-RTN
// or SignRound), handed to the export sinks at once, and dropped. Only one block's
// weights plus the calibration activations are resident, so peak memory does not grow
// with the number of blocks. After every block a resume checkpoint is written.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "autoscheme/tuning_settings.h"
#include "dsl/recipe.h"
#include "engine/text/calibration.h"
#include "engine/tune/run_state.h"
#include "exporters/gguf/imatrix.h"
#include "exporters/model_export.h"
#include "schemes/ggml/ggml_type.h"

namespace arecipe::tune {

// Tuned GGUF (docs/gguf.md): the layers are tuned with their GGUF types over llama.cpp's
// frozen scales (gguf_layer.h) instead of the recipe's schemes, and written by the
// caller's GGUF exporter instead of export sinks.
struct GgufTuning {
  struct Layer {
    std::string gguf_name;  // "blk.0.attn_q.weight"
    ggml::Type type;        // from the mixture rules and overrides, decided before tuning
  };
  std::map<std::string, Layer> layers;  // by HF module name: every in-block linear the GGUF quantizes
  // Reads a tuned layer's encoded rows (checkpoint row order) by GGUF name into `bytes`;
  // false for names it does not hold. Valid only during `write`.
  using BytesOf = std::function<bool(const std::string& gguf_name, std::vector<uint8_t>& bytes)>;
  // Called once after the last block with the calibration imatrix (GGUF names,
  // llama-imatrix's meaning: sums of x^2 and token counts) the layers were encoded with.
  std::function<exporters::ModelExportResult(const gguf::Imatrix&, const BytesOf&)> write;
};

struct ExecutorRequest {
  exporters::ModelExportRequest export_request;  // model dir, layers, formats, output
  autoscheme::TuningSettings tuning;
  std::vector<dsl::CalibrationSource> calibration;
  std::optional<GgufTuning> gguf;  // set: tuned GGUF (export_request.formats unused)
  std::string fingerprint;  // of the plan; the calibration ids are added to it
  std::string work_dir;     // resume state
  bool resume = false;
  bool show_progress = true;
  int64_t forward_batch = 8;  // samples per no-grad forward pass
  // Polled at block boundaries (Ctrl-C): true → checkpoint and stop.
  std::function<bool()> stop_requested;
};

struct ExecutorResult {
  exporters::ModelExportResult exported;
  std::vector<BlockReport> blocks;
  text::CalibrationReport calibration;
  int resumed_blocks = 0;
  bool interrupted = false;  // stopped at a block boundary; resume with --resume
};

// Throws Error (bad input, NaN/Inf during tuning naming the block). For
// TuningMode::Rtn use exporters::quantize_and_export: it needs no data.
ExecutorResult run_blocks(const ExecutorRequest& request);

}  // namespace arecipe::tune
