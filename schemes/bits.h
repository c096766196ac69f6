// Bit accounting, exactly as upstream's compute_layer_bits
// (auto_round/auto_scheme/utils.py): what a layer costs in the checkpoint, with and
// without the scale / zero-point / super-block overhead.
#pragma once
#include <cstdint>

#include "schemes/scheme.h"

namespace arecipe::schemes {

struct LayerBits {
  int64_t params = 0;
  double total_bits = 0;    // weights + scales + zero points (+ GGUF super-scales)
  double weight_bits = 0;   // weights only (upstream's ignore_scale_zp_bits=True)
  double bits_per_weight() const { return params ? total_bits / params : 0; }
  double weight_bits_per_weight() const { return params ? weight_bits / params : 0; }
};

// Upstream's rules: n_group = out * ceil(in / g) (g = 0: 1 group, g = -1: out groups;
// a 2-D block group counts ceil(out/rows) * ceil(in/g)); scale bits are 8 for mx_fp /
// nv_fp / fp4 data types and 16 otherwise; zero-point bits = bits when asymmetric or the
// data type contains "int" (int sym pays them too); GGUF k-quants pay super_bits*2 per
// group plus 64 bits per super-block. 16-bit layers cost 16 bits per weight.
LayerBits layer_bits(const Scheme& s, int64_t out_features, int64_t in_features);

// Bits per weight of a scheme on an "infinitely large" layer whose dims are multiples
// of every group size: the figure upstream's docs quote (W4A16 4.156, q4_k 4.625).
double nominal_bits_per_weight(const Scheme& s);

}  // namespace arecipe::schemes
