// One incremental interface for every export format: begin, then tensors as the
// quantizer produces them (block by block, so nothing but the current block is
// resident), then finish. Formats: "auto_round" (int; packing_format chosen as
// upstream does), "auto_gptq", "auto_awq", "fake" (fake-quant weights, no packing).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace arecipe::exporters {

struct LayerScheme {
  int bits = 4;
  int64_t group_size = 128;
  bool sym = true;
  std::string data_type = "int";
  bool operator==(const LayerScheme& o) const {
    return bits == o.bits && group_size == o.group_size && sym == o.sym && data_type == o.data_type;
  }
};

struct QuantizedLayer {
  std::string name;  // module name without ".weight", e.g. "model.layers.0.mlp.down_proj"
  LayerScheme scheme;
  // What upstream keeps after quantization: the fake-quant weight [N, K], its scale
  // [N, G] and (asym) zero point [N, G]. Packers re-derive the codes from these
  // exactly as upstream's packers do, so the packed bytes match upstream's.
  at::Tensor fake_quant;
  at::Tensor scale;
  at::Tensor zp;    // undefined for sym
  at::Tensor bias;  // undefined when the layer has none
  bool in_block = true;  // false for lm_head and other out-of-block layers
};

struct ExportOptions {
  std::string out_dir;
  bool force = false;                  // replace an existing out_dir
  std::string source_dir;              // tokenizer/generation files are copied from here
  nlohmann::json model_config;         // the source config.json; quantization_config is added
  LayerScheme global;                  // the recipe's default scheme
  bool mixed_bits = false;             // some layer's bits differ from global (decides packing)
  std::string block_prefix = "model.layers";
  // Quantizable layers deliberately kept in full precision (ignore list / bits 16).
  std::vector<std::string> fp_layers;
  // Non-default tuning keys already filtered as upstream filters them (iters, nsamples,
  // autoround_version, ...); copied into quantization_config.
  nlohmann::json extra_keys = nlohmann::json::object();
  uint64_t max_shard_bytes = 5000000000ull;  // upstream's max_shard_size="5GB"
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void begin(const ExportOptions& options) = 0;
  // A tensor written as is (embeddings, norms, FP layers), under its full HF name.
  virtual void add_tensor(const std::string& name, const at::Tensor& t) = 0;
  virtual void add_quantized(const QuantizedLayer& layer) = 0;
  // A small file next to the weights (e.g. the recipe's lock file).
  virtual void add_file(const std::string& name, const std::string& contents) = 0;
  // Writes config.json and the index, then renames the output into place. Returns it.
  virtual std::string finish() = 0;
};

// Throws std::invalid_argument for an unknown format name.
// "auto_round:auto_gptq" / "auto_round:auto_awq" force that packing.
std::unique_ptr<Sink> make_sink(const std::string& format);

}  // namespace arecipe::exporters
