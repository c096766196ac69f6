// Resume support for a tuning run: after each block, the block's results (the tuned
// fake-quant weights, scales and zero points of its layers) go to
// <work_dir>/block-NNNN.safetensors and state.json records how many blocks are done,
// both written atomically. A resumed run replays the saved blocks into fresh sinks and
// recomputes the calibration activations through them (one forward per block, no
// tuning), so its output is byte-identical to an uninterrupted run.
#pragma once
#include <ATen/core/Tensor.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporters/sink.h"

namespace arecipe::tune {

struct BlockReport {
  int block = 0;
  int layers = 0;
  double rtn_loss = 0, best_loss = 0;
  int best_iter = 0;
  double seconds = 0;
  double peak_rss_mb = 0;  // the process's peak resident set when the block was done
  bool streamed_experts = false;  // an MoE block tuned expert by expert (moe_stream.h)
};
nlohmann::json to_json(const BlockReport& r);
BlockReport block_report_from_json(const nlohmann::json& j);

class RunState {
 public:
  // `fingerprint` identifies everything that determines the output (recipe plan,
  // tuning settings, calibration ids, model); a state with another one is refused.
  RunState(std::string work_dir, std::string fingerprint);

  // Loads state.json when resuming; throws Error when it belongs to another run.
  // Returns the number of completed blocks (0 when there is no state).
  int load();
  // Starts fresh: throws Error if a previous run's state exists and `discard` is false.
  void start(bool discard);

  // `blobs` (tuned GGUF: each layer's encoded rows, by module name) are saved as U8
  // tensors "<module>.gguf" in the same file: the block files are the run's spill of
  // tuned bytes until the export reads them back (load_blob).
  void save_block(const BlockReport& report, const std::vector<exporters::QuantizedLayer>& layers,
                  const std::vector<std::pair<std::string, std::vector<uint8_t>>>& blobs = {});
  // The saved layers of a completed block (bias and scheme are filled by the caller).
  std::vector<exporters::QuantizedLayer> load_block(int block, const std::vector<std::string>& names) const;
  // A streamed MoE block (moe_stream.h) saves its results in parts (attention, each
  // routed expert, shared experts) as each is done, so none is held until the block
  // ends; save_block then records the block as complete.
  void save_part(int block, int part, const std::vector<exporters::QuantizedLayer>& layers) const;
  std::vector<exporters::QuantizedLayer> load_part(int block, int part, const std::vector<std::string>& names) const;
  // A blob save_block stored for `module` in `block`; throws Error when missing.
  std::vector<uint8_t> load_blob(int block, const std::string& module) const;
  const std::vector<BlockReport>& reports() const { return reports_; }
  void remove();  // after the export is complete

 private:
  std::string block_path(int block) const;
  std::string part_path(int block, int part) const;
  void write_state() const;
  std::string dir_, fingerprint_;
  std::vector<BlockReport> reports_;
};

}  // namespace arecipe::tune
