// GGUF reader. The file is memory-mapped; nothing in it is trusted: every count, string
// length, array size, tensor dimension, type, offset and size is checked against the
// format's limits and the file's size before use, and tensor data ranges must lie in
// the data section without overlapping. Errors name the file and what is wrong.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/io/gguf_format.h"
#include "engine/io/mapped_file.h"
#include "schemes/ggml/ggml_type.h"

namespace arecipe::gguf {

struct TensorEntry {
  std::string name;
  std::vector<int64_t> dims;  // ne0 first (innermost), as in the file
  ggml::Type type;
  uint64_t offset = 0;  // relative to the data section
  uint64_t nbytes = 0;
  int64_t numel() const;
  int64_t row_elems() const { return dims[0]; }
  int64_t rows() const { return numel() / dims[0]; }
};

class Reader {
 public:
  explicit Reader(const std::string& path);  // throws Error naming the file

  const std::string& path() const { return file_.path(); }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const Metadata& metadata() const { return kv_; }
  const Value* find(const std::string& key) const;  // nullptr if absent
  // Typed getters: throw Error if the key is missing or has another type.
  uint32_t get_u32(const std::string& key) const;
  float get_f32(const std::string& key) const;
  const std::string& get_string(const std::string& key) const;

  const std::vector<TensorEntry>& tensors() const { return tensors_; }
  const TensorEntry* find_tensor(const std::string& name) const;  // nullptr if absent
  const uint8_t* data(const TensorEntry& t) const { return file_.data() + data_start_ + t.offset; }

 private:
  MappedFile file_;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_start_ = 0;
  Metadata kv_;
  std::map<std::string, size_t> kv_index_;
  std::vector<TensorEntry> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace arecipe::gguf
