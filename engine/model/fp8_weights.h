// FP8 source checkpoints with block-scaled weights, as DeepSeek-V3/R1 (and Qwen3's
// -FP8 releases) store them: config.json `quantization_config: {quant_method: fp8,
// fmt: e4m3, weight_block_size: [128, 128]}`; each such linear is `X.weight`
// F8_E4M3 [out, in] plus `X.weight_scale_inv` [ceil(out/128), ceil(in/128)], and
// despite its name the dequantized weight is fp8 * scale of its block (DeepSeek's
// weight_dequant). Last blocks may be ragged.
//
// Torch-free (checks at open, `inspect`); dequantization is in fp8_weights_dequant.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "engine/model/hf_config.h"
#include "engine/model/packed_weights.h"

namespace arecipe {

struct Fp8BlockScheme {
  int64_t block_rows = 128;
  int64_t block_cols = 128;
};

// The block scheme of an fp8 `quantization_config`; nullopt when config.json has no
// quantization_config or another method. Throws Error naming config.json for an fp8
// config this engine cannot read (fmt other than e4m3, malformed weight_block_size).
std::optional<Fp8BlockScheme> fp8_scheme_from_config(const ModelConfig& config);

// One checked block-scaled linear.
struct Fp8Weight {
  std::string weight;  // "X.weight", F8_E4M3
  std::string scale;   // "X.weight_scale_inv"
  int64_t rows = 0, cols = 0;
  Fp8BlockScheme blocks;
};

std::string fp8_scale_name(const std::string& weight_name);

// Checks `weight_name` against the [rows, cols] config.json implies: F8_E4M3 of that
// shape, and a scale tensor of a float dtype with exactly one entry per block.
// Throws Error("<where>: ...") naming the tensor and both shapes.
Fp8Weight check_fp8_weight(const TensorLookup& find, const std::string& where, const std::string& weight_name,
                           const Fp8BlockScheme& scheme, int64_t rows, int64_t cols);

}  // namespace arecipe
