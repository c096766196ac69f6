// Where the exporter's tensors come from: an HF model directory (config.json,
// tokenizer.json, safetensors; mapped to GGUF names, llama Q/K permuted, metadata built)
// or an existing GGUF file (requantization, as llama-quantize does; its metadata is kept).
// Tensors are listed up front and loaded one at a time, in fp32.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/gguf_format.h"
#include "exporters/gguf/mixture.h"
#include "schemes/ggml/ggml_type.h"

namespace arecipe::gguf {

struct SourceTensor {
  std::string name;           // GGUF name
  std::vector<int64_t> dims;  // ne0 first
  ggml::Type stored;          // type in the source (what a non-quantized tensor keeps)
  std::function<std::vector<float>()> load;  // all values, rows of ne0, in fp32
  std::string hf_name;  // the checkpoint tensor (HF sources only)
  // llama's Q/K row permutation that load() applies (heads 0: none), for callers that
  // supply encoded rows in checkpoint order (tuned GGUF).
  int64_t permute_heads = 0, head_dim = 0;
};

struct Source {
  std::string path;
  Metadata kv;  // architecture, tokenizer and any other keys to carry over
  std::vector<SourceTensor> tensors;  // llama-quantize's order: non-layer by name, then per layer by name
  ModelShape shape;
  std::shared_ptr<void> keepalive;  // mapped files the loaders read from
};

// A directory is read as an HF checkpoint, a file as GGUF. Throws Error naming the file.
Source open_source(const std::string& path);

}  // namespace arecipe::gguf
