// Quantize a model's linears with RTN and write it in one or more export formats in a
// single streaming pass over the checkpoint: each tensor is read from the mapped
// safetensors, quantized if the plan says so, handed to every format's Sink, and
// dropped. Nothing here knows recipes: callers turn their plan into LayerDecisions.
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exporters/sink.h"

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
};

struct ModelExportResult {
  std::vector<std::string> out_dirs;
  size_t quantized = 0;
  // Int layers left in source precision because in/out features are not multiples of
  // 32 (upstream's rule, spec 13.10), or MX/NV layers whose in features are not a
  // multiple of the group.
  std::vector<std::string> kept_unpackable;
};

// Throws Error naming the file or layer at fault; nothing appears under an output
// name unless every format completed.
ModelExportResult quantize_and_export(const ModelExportRequest& request);

// Whether upstream would quantize a linear of this shape with `s` (spec 13.10).
bool upstream_quantizes_shape(const LayerScheme& s, int64_t out_features, int64_t in_features);

}  // namespace arecipe::exporters
