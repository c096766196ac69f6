// Packed integer checkpoints (auto-round's `auto_round`, `auto_gptq` and `auto_awq`
// exports, and GPTQ/AWQ checkpoints in the same layouts): config.json's
// `quantization_config` resolved into one scheme per linear, exactly as auto-round's
// loader resolves it (inference/convert_model.py get_layer_config: blocks to quantize,
// modules_in_block_to_quantize, GPTQ `dynamic`, modules_to_not_convert, extra_config
// exact names and regexes), and the shape checks of each layer's packed tensors.
//
// Torch-free (planning and `inspect` use it); the dequantization itself is in
// packed_weights_dequant.h.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/model/inventory.h"

namespace arecipe {

enum class PackedLayout {
  gptq,  // qweight [K·b/32, N] packed along K; qzeros [G, N·b/32]; scales [G, N]; g_idx [K]
  awq,   // 4-bit; qweight [K, N/8], qzeros [G, N/8] along N with the AWQ nibble order
};

struct PackedScheme {
  int bits = 4;
  int64_t group_size = 128;  // -1: one group per row
  bool sym = true;
  PackedLayout layout = PackedLayout::gptq;
  // Added to every stored zero point: 1 for the GPTQ "zp - 1" convention
  // (auto_gptq, auto_round:auto_gptq), 0 for auto_round, auto_round:gptqmodel, AWQ.
  int zp_offset = 0;
};

// The packed tensors of one quantized linear, checked against its scheme and shape.
struct PackedLayer {
  std::string name;  // module name, e.g. "model.layers.0.self_attn.q_proj"
  PackedScheme scheme;
  int64_t out_features = 0;  // N
  int64_t in_features = 0;   // K
  int64_t groups = 0;        // G = ceil(K / group_size)
  bool has_g_idx = false;
  std::string qweight() const { return name + ".qweight"; }
  std::string qzeros() const { return name + ".qzeros"; }
  std::string scales() const { return name + ".scales"; }
  std::string g_idx() const { return name + ".g_idx"; }
};

class QuantizationConfig {
 public:
  // Reads `quantization_config` from config.json (re-read in file order: regex
  // precedence follows it, as in Python). Returns nullopt when there is none, and for
  // quant_method fp8 (block-scaled FP8 source weights, fp8_weights.h). Throws
  // Error naming config.json for a method or format this engine cannot dequantize
  // (auto-round FP8 exports, MX/NV FP, compressed-tensors, activation quantization,
  // GPTQ v2, AWQ GEMV, ...).
  static std::optional<QuantizationConfig> from_model_config(const ModelConfig& config, const Inventory& inventory);
  // Same from the quantization_config JSON text itself (`path` names it in errors).
  static QuantizationConfig parse(const std::string& quantization_config_json, const std::string& path,
                                  const Inventory& inventory);

  const std::string& quant_method() const { return quant_method_; }      // "auto-round", "gptq", "awq"
  const std::string& packing_format() const { return packing_format_; }  // normalized, e.g. "auto_round:auto_gptq"
  const PackedScheme& global() const { return global_; }
  // nullopt: the layer is kept in floating point (`X.weight`).
  std::optional<PackedScheme> scheme_for(const std::string& layer) const;
  // Quantized layers by name (inventory order) and how many linears stay in float.
  const std::vector<std::pair<std::string, PackedScheme>>& quantized() const { return quantized_; }
  size_t float_layers() const { return float_layers_; }
  // One line, e.g. "gptq (auto_round:auto_gptq), W4 G32 sym; 20 of 35 linears packed (8-bit: 1)".
  std::string summary() const;

 private:
  std::string path_;
  std::string quant_method_;
  std::string packing_format_;
  PackedScheme global_;
  std::map<std::string, PackedScheme> by_layer_;
  std::vector<std::pair<std::string, PackedScheme>> quantized_;
  size_t float_layers_ = 0;
};

// Looks a tensor up by name (nullptr if absent), e.g. TensorStore::find.
using TensorLookup = std::function<const TensorInfo*(const std::string&)>;

// Checks that `layer`'s packed tensors exist with the dtypes and shapes its scheme and
// [out, in] imply, and that no plain `<layer>.weight` competes with them. Throws
// Error("<where>: <layer>.qweight has shape [...], 4-bit G32 packing of a 64x64
// linear needs [...]") and the like.
PackedLayer check_packed_layer(const TensorLookup& find, const std::string& where, const std::string& layer,
                               const PackedScheme& scheme, int64_t out_features, int64_t in_features);

}  // namespace arecipe
