// GGUF export entry point (docs/gguf.md): HF directory or GGUF file in, one GGUF out,
// each tensor typed by a llama-quantize mixture (plus overrides) and encoded exactly as
// llama-quantize would (same imatrix -> same bytes). Streams tensor by tensor; the
// output appears under its final name only when complete.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "exporters/gguf/imatrix.h"
#include "exporters/gguf/mixture.h"

namespace arecipe::gguf {

struct ExportResult {
  std::vector<std::pair<std::string, ggml::Type>> types;  // every tensor, in file order
  uint64_t file_bytes = 0;
  double encode_seconds = 0;  // time spent in the encoders (bench)
};

struct ExportOptions {
  std::string mixture = "f16";           // parse_mixture() names
  std::vector<TypeOverride> overrides;   // regex=type, first match wins
  const Imatrix* imatrix = nullptr;      // optional importance
  std::string imatrix_file;              // its path, recorded as llama-quantize does
  int threads = 0;                       // 0: all cores
  // Tuned GGUF: bytes already encoded for a tensor (rows in checkpoint order; the
  // exporter applies llama's Q/K row permutation as it does to values). Returns false
  // for tensors it does not supply, which are encoded from the source as usual.
  std::function<bool(const std::string& gguf_name, ggml::Type type, std::vector<uint8_t>& bytes)> encoded;
};

// One tensor the exporter will quantize, with the type the mixture (and overrides) give it.
struct PlannedTensor {
  std::string gguf_name;  // "blk.0.attn_q.weight"
  std::string hf_name;    // "model.layers.0.self_attn.q_proj.weight" (HF sources)
  std::vector<int64_t> dims;
  ggml::Type type;
};
// The quantized tensors of export_model(model_path, opt, ...) and their types, where
// `has_imatrix` says whether an imatrix will be given (it changes llama.cpp's rules).
// Tuned GGUF decides every layer's type with this before tuning. Throws as export_model.
std::vector<PlannedTensor> plan_tensors(const std::string& model_path, const ExportOptions& opt, bool has_imatrix);

// Throws Error for an unknown mixture, an unsupported model, Q2_K_S without an imatrix
// entry for a Q2_K tensor, an imatrix entry of the wrong length, or I/O failures.
ExportResult export_model(const std::string& model_path, const ExportOptions& opt, const std::string& out_path);

}  // namespace arecipe::gguf
