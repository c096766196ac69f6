// What a quantized number is, as plain data (no tensors): the fields of upstream
// AutoRound's QuantizationScheme, resolved (no "None" left). Torch-free so that
// recipes can be planned and checked without LibTorch.
#pragma once
#include <string>

namespace arecipe::schemes {

// Group size conventions follow upstream: > 0 groups of that many inputs,
// 0 one scale per tensor, -1 one scale per output channel. `group_rows` > 0 makes
// the group a 2-D block of group_rows x group_size (FP8_BLOCK: 128 x 128).
constexpr int kPerTensor = 0;
constexpr int kPerChannel = -1;

struct Scheme {
  int bits = 4;
  int group_size = 128;
  int group_rows = 0;
  bool sym = true;
  std::string data_type = "int";  // int | fp | float | mx_fp | mx_int | nv_fp | int_asym_dq | ...
  int act_bits = 16;
  int act_group_size = 128;
  bool act_sym = true;
  std::string act_data_type = "float";
  bool act_dynamic = true;
  int super_bits = 0;        // GGUF k-quants: bits of the per-group scales
  int super_group_size = 0;  // GGUF k-quants: groups per super-block
  std::string gguf_type;     // "q4_k" etc. for GGUF schemes, empty otherwise

  // Stays in source precision (16-bit weights and activations).
  bool is_unquantized() const { return bits >= 16; }
  bool is_gguf() const { return !gguf_type.empty(); }
  bool is_gguf_k() const { return super_bits > 0; }
  bool weight_only() const { return act_bits >= 16; }
  // "int4 g128 sym", "mx_fp4 g32", "gguf q4_k", "bf16": one short human label.
  std::string label() const;
  bool operator==(const Scheme& o) const;
  bool operator!=(const Scheme& o) const { return !(*this == o); }
};

}  // namespace arecipe::schemes
