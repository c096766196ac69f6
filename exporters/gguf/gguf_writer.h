// Streaming GGUF writer (gguf-spec.md section 1). Metadata and every tensor's name,
// shape and type are declared first; the header is written once; tensor data then
// streams in declaration order (one tensor in memory at a time). Offsets are dense and
// 32-byte aligned as llama.cpp requires. The file appears under its final name only
// when finish() succeeds (written to a temporary name, then renamed).
#pragma once
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "engine/io/gguf_format.h"
#include "schemes/ggml/ggml_type.h"

namespace arecipe::gguf {

class Writer {
 public:
  explicit Writer(std::string path);
  ~Writer();  // removes the temporary file if finish() was not reached
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Throws Error for an empty or duplicate key, a string over 2^30 bytes, or an array
  // whose value vector does not match its element type.
  void add_kv(const std::string& key, Value v);
  // dims ne0 first. Throws Error for a bad name (empty, > 63 bytes, duplicate), 0 or > 4
  // dims, or ne0 not a multiple of the type's block.
  void add_tensor(const std::string& name, const std::vector<int64_t>& dims, ggml::Type type);
  // Writes magic, counts, metadata, tensor infos and the pad to the data section.
  void write_header();
  // The next declared tensor's bytes (exactly its size); pads to the alignment.
  void write_tensor_data(const std::string& name, const uint8_t* data, size_t size);
  // Checks every tensor was written, flushes, renames to the final path.
  void finish();

  const std::string& path() const { return path_; }

 private:
  struct Info {
    std::string name;
    std::vector<int64_t> dims;
    ggml::Type type;
    uint64_t nbytes;
    uint64_t offset;
  };
  void put(const void* p, size_t n);
  void put_string(const std::string& s);
  void put_value(const Value& v);

  std::string path_, tmp_;
  FILE* f_ = nullptr;
  Metadata kv_;
  std::set<std::string> keys_, names_;
  std::vector<Info> tensors_;
  uint64_t next_offset_ = 0;
  size_t written_ = 0;
  bool header_done_ = false, finished_ = false;
};

}  // namespace arecipe::gguf
