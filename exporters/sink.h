// One incremental interface for every export format: begin, then tensors as the
// quantizer produces them (block by block, so nothing but the current block is
// resident), then finish. Formats: "auto_round" (int: packing_format chosen as
// upstream does; mx_fp / nv_fp / fp8: upstream's FP layouts, fp_sinks.h), "auto_gptq",
// "auto_awq", "fake" (fake-quant weights, no packing).
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace arecipe::schemes {
struct Scheme;
}

namespace arecipe::exporters {

struct LayerScheme {
  int bits = 4;
  int64_t group_size = 128;
  bool sym = true;
  std::string data_type = "int";
  // FP8_BLOCK: > 0 makes the group a 2-D block of group_rows x group_size (128 x 128).
  int64_t group_rows = 0;
  // Activation fields as upstream's QuantizationScheme resolves them; they reach
  // quantization_config only when act_bits < 16 (MXFP4/8, NVFP4, FP8_BLOCK presets).
  int act_bits = 16;
  int64_t act_group_size = 0;  // 0 here: same as group_size
  bool act_sym = true;
  std::string act_data_type = "fp";
  bool act_dynamic = true;
  int64_t effective_act_group_size() const { return act_group_size != 0 ? act_group_size : group_size; }
  bool operator==(const LayerScheme& o) const {
    return bits == o.bits && group_size == o.group_size && sym == o.sym && data_type == o.data_type &&
           group_rows == o.group_rows && act_bits == o.act_bits &&
           effective_act_group_size() == o.effective_act_group_size() && act_sym == o.act_sym &&
           act_data_type == o.act_data_type && act_dynamic == o.act_dynamic;
  }
};

// The export view of a planned scheme (weights and activation fields).
LayerScheme to_layer_scheme(const schemes::Scheme& s);

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
  // NVFP4: the per-tensor weight global scale (fp32, one element; dequant divides by
  // it) and, for static activation quantization, the calibrated input global scale.
  at::Tensor global_scale = {};
  at::Tensor input_global_scale = {};
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
