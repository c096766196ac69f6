// GGUF export entry point (docs/gguf.md): HF directory or GGUF file in, one GGUF out,
// each tensor typed by a llama-quantize mixture (plus overrides) and encoded exactly as
// llama-quantize would (same imatrix -> same bytes). Streams tensor by tensor; the
// output appears under its final name only when complete.
#pragma once
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
};

// Throws Error for an unknown mixture, an unsupported model, Q2_K_S without an imatrix
// entry for a Q2_K tensor, an imatrix entry of the wrong length, or I/O failures.
ExportResult export_model(const std::string& model_path, const ExportOptions& opt, const std::string& out_path);

}  // namespace arecipe::gguf
