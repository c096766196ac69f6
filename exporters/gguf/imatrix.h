// Importance matrices (gguf-spec.md section 11): llama.cpp's GGUF imatrix format
// (general.type "imatrix"; per weight NAME, F32 tensors NAME.in_sum2 [ne0, n_mat] and
// NAME.counts [1, n_mat]) and its legacy .dat format, read and written; and the
// per-column importance llama-quantize derives from them (in_sum2 / count in fp32;
// count 0 -> all ones; legacy: value / ncall).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace arecipe::gguf {

struct ImatrixEntry {
  std::vector<float> sums;    // n_mat * ne0: sums of squared activations per column
  std::vector<float> counts;  // n_mat: tokens seen (legacy: {ncall})
};

struct Imatrix {
  std::map<std::string, ImatrixEntry> entries;  // by GGUF weight name ("blk.0.attn_q.weight")
  std::vector<std::string> datasets;
  uint32_t chunk_count = 0;
  uint32_t chunk_size = 0;
  bool legacy = false;  // read from .dat: sums hold per-call means times ncall

  // The importance vector llama-quantize passes to the quantizer for this weight
  // (length ne0 * n_mat), or nullopt when the imatrix has no entry for it.
  std::optional<std::vector<float>> importance(const std::string& weight) const;
};

// Reads either format (by magic). Throws Error naming the file on malformed input.
Imatrix read_imatrix(const std::string& path);
// Writes the GGUF format (what llama-imatrix writes by default, and llama-quantize
// requires with its three metadata keys). Atomic.
void write_imatrix_gguf(const std::string& path, const Imatrix& m);
// Writes the legacy .dat format (values stored as sums / count * ncall with ncall = 1).
void write_imatrix_dat(const std::string& path, const Imatrix& m);

// One calibrated linear from arecipe's own capture: HF module name
// ("model.layers.0.self_attn.q_proj"), per-input-column sum of x^2 over all calibration
// tokens, and the token count.
struct CalibrationSums {
  std::vector<double> sum_x2;
  int64_t tokens = 0;
};
// Converts to an Imatrix keyed by GGUF names. The meaning is the same as llama-imatrix's
// (sums of squared inputs over tokens, divided by the token count when used); only the
// activations differ (arecipe's fp32 forward on its calibration samples vs llama.cpp's
// forward on its text chunks). Throws Error for a module GGUF cannot place.
Imatrix imatrix_from_calibration(const std::map<std::string, CalibrationSums>& sums, const std::string& dataset,
                                 uint32_t chunk_count, uint32_t chunk_size);

}  // namespace arecipe::gguf
