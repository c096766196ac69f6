// HF checkpoint -> GGUF architecture mapping (gguf-spec.md sections 3, 5, 6): which
// llama.cpp architecture a config.json becomes, its typed hyperparameter keys, tensor
// names, and llama's Q/K row permutation. Supported: Llama/Mistral-style `llama` (no
// sliding window), Qwen2 (`qwen2`, q/k/v biases), Qwen3 (`qwen3`, per-head q/k norms).
// Anything else fails with a clear Error naming what GGUF export cannot express yet.
#pragma once
#include <optional>
#include <string>

#include "engine/io/gguf_format.h"
#include "engine/model/hf_config.h"

namespace arecipe::gguf {

struct ArchPlan {
  std::string arch;       // "llama", "qwen2", "qwen3"
  bool permute_qk = false;  // llama only: HF rotate-half -> llama.cpp adjacent pairs
  int64_t n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  Metadata hparams;       // general.architecture and every "<arch>." key
};

// Throws Error "<config>: GGUF export does not support ..." for other architectures
// or settings (rope scaling other than none/linear, sliding-window attention).
ArchPlan plan_arch(const ModelConfig& cfg);

// GGUF name of an HF tensor, or nullopt for tensors GGUF does not store (rotary
// inv_freq buffers). Throws Error for a tensor it cannot place.
std::optional<std::string> gguf_tensor_name(const std::string& hf_name, const std::string& where);

// Layer index of a GGUF tensor name ("blk.N.") or -1.
int layer_of(const std::string& gguf_name);

// Reorders the rows of a q/k projection (rows = heads * head_dim, each row `cols`
// values; cols = 1 for a bias) in place for llama.cpp's rope: within each head, new row
// 2i = old row i, new row 2i+1 = old row i + head_dim/2.
void permute_qk_rows(float* data, int64_t heads, int64_t head_dim, int64_t cols);
// The same row order on encoded rows of `row_bytes` bytes each (quantization is per row,
// so permuting encoded rows equals encoding permuted rows: tuned GGUF layers).
void permute_qk_row_bytes(uint8_t* data, int64_t heads, int64_t head_dim, size_t row_bytes);

}  // namespace arecipe::gguf
