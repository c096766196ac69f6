// Writing a quantized model in one or more export formats. Two callers:
//  * quantize_and_export: the model-free RTN path (upstream's "model-free mode"): one
//    streaming pass over the checkpoint, each tensor read from the mapped safetensors,
//    quantized if the plan says so, handed to every format's Sink, and dropped;
//  * the block-streaming tuner (engine/tune), which feeds an ExportSession itself as
//    each block finishes.
// Nothing here knows recipes: callers turn their plan into LayerDecisions.
#pragma once
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "exporters/output_dir.h"
#include "exporters/sink.h"

namespace arecipe {
class TensorStore;
}

namespace arecipe::exporters {

struct LayerDecision {
  std::string name;  // module name ("model.layers.0.mlp.down_proj")
  bool quantize = false;
  LayerScheme scheme;  // when quantize
  bool in_block = true;
};

struct ModelExportRequest {
  std::string model_dir;
  std::vector<LayerDecision> layers;
  std::vector<std::string> formats;  // "auto_round", "auto_gptq", "auto_awq", "fake", ...
  std::string out_dir;               // one format: this dir; several: out_dir/<format>
  bool force = false;
  LayerScheme global;
  std::string block_prefix = "model.layers";
  nlohmann::json extra_keys = nlohmann::json::object();
  std::map<std::string, std::string> side_files;  // written next to the weights
  bool show_progress = false;  // quantize_and_export: a bar with ETA (plain lines off a terminal)
};

struct ModelExportResult {
  std::vector<std::string> out_dirs;
  size_t quantized = 0;
  // Int layers left in source precision because in/out features are not multiples of
  // 32 (upstream's rule, spec 13.10), or MX/NV layers whose in features are not a
  // multiple of the group.
  std::vector<std::string> kept_unpackable;
};

// One export in progress: a Sink per format (each writing under a temp name) and the
// plan's layers resolved against the checkpoint.
class ExportSession {
 public:
  // Throws Error naming the output dir for a format that cannot hold the plan, or the
  // model dir for a planned layer the checkpoint lacks.
  ExportSession(const ModelExportRequest& request, const TensorStore& store);
  ~ExportSession();

  // The decision for a weight tensor ("X.weight") that will be quantized, else null.
  const LayerDecision* quantized(const std::string& weight_name) const;
  // True for tensors that travel inside a quantized layer (its weight and bias).
  bool part_of_quantized_layer(const std::string& tensor_name) const;
  // The names of every layer actually quantized, in plan order.
  const std::vector<std::string>& layer_names() const { return quantized_names_; }

  // NVFP4: the global scale upstream quantizes `layer` with, shared by its fusion
  // group (q/k/v, gate/up; exporters/layer_quantize.h). Loads the group's weights on
  // first use, so only one group is resident. Undefined for non-NVFP4 layers.
  at::Tensor nvfp4_global_scale(const TensorStore& store, const std::string& layer);

  void add_tensor(const std::string& name, const at::Tensor& t);
  // A source tensor the export carries over (norms, embeddings, kept layers), in its own
  // dtype; skipped when it travels inside a quantized layer or is an FP8 block scale
  // (consumed by load_native's dequantization).
  void copy_source_tensor(const TensorStore& store, const std::string& name);
  void add_quantized(const QuantizedLayer& layer);
  // Side files, then every format completed on disk before any is renamed into place.
  ModelExportResult finish(const std::map<std::string, std::string>& side_files);

 private:
  // Several formats are staged together under one temp dir (out_dir/<format> inside)
  // that is renamed into place when all are complete.
  std::unique_ptr<OutputDir> staging_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  std::unordered_map<std::string, const LayerDecision*> by_weight_;
  std::vector<std::string> quantized_names_;
  std::map<std::string, at::Tensor> nv_scales_;
  ModelExportResult result_;
};

// A checkpoint tensor in its own dtype (floats stay bf16/fp16/fp32); a block-scaled
// FP8 weight (weight_scale_inv beside it) dequantized to bf16, as upstream loads it.
at::Tensor load_native(const TensorStore& store, const std::string& name);
// Float tensors in their own float dtype (the dtype upstream quantizes in); FP8
// weights as load_native.
at::Tensor load_native_float(const TensorStore& store, const std::string& name);
// `X.weight_scale_inv` of an F8_E4M3 `X.weight`: consumed by the dequantization
// above, never copied to an export (whose weights are no longer FP8).
bool is_fp8_block_scale(const TensorStore& store, const std::string& name);

// Throws Error naming the file or layer at fault; nothing appears under an output
// name unless every format completed.
ModelExportResult quantize_and_export(const ModelExportRequest& request);

// Whether upstream would quantize a linear of this shape with `s` (spec 13.10).
bool upstream_quantizes_shape(const LayerScheme& s, int64_t out_features, int64_t in_features);

}  // namespace arecipe::exporters
