// safetensors reader. Format: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the data buffer. Nothing read from the file is trusted: the header size is
// capped, every field is type-checked, every range must lie inside the data buffer,
// match its dtype x shape exactly, and not overlap another tensor.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/dtype.h"
#include "engine/io/mapped_file.h"

namespace arecipe {

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets into the data buffer
  uint64_t end = 0;
  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

// A tensor's bytes inside a mapped file (valid while the file is open).
struct TensorView {
  const TensorInfo* info;
  const uint8_t* data;
};

class SafetensorsFile {
 public:
  static constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // upstream's limit too

  explicit SafetensorsFile(const std::string& path);  // throws Error naming the file

  const std::string& path() const { return file_.path(); }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;  // nullptr if absent
  TensorView view(const TensorInfo& t) const { return {&t, data_ + t.begin}; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // The raw JSON header, e.g. for model fingerprints.
  std::string header_json() const;

 private:
  MappedFile file_;
  const uint8_t* data_ = nullptr;  // start of the data buffer
  uint64_t header_len_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// Parses a header already in memory (exposed for tests and the fuzz target).
// `data_len` is the size of the data buffer that follows the header.
void parse_safetensors_header(const std::string& json_text, uint64_t data_len,
                              const std::string& path, std::vector<TensorInfo>& tensors,
                              std::map<std::string, std::string>& metadata);

}  // namespace arecipe
