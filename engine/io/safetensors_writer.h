// safetensors writer: single files, and a sharded writer that streams tensors out as
// they come (one block at a time) and writes model.safetensors.index.json at the end.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/io/dtype.h"

namespace arecipe {

struct TensorBytes {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::string bytes;  // row-major, little-endian
};

// Writes one safetensors file (atomically) with tensors in the order given.
void write_safetensors(const std::string& path, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

class ShardedSafetensorsWriter {
 public:
  // Shards hold at most `max_shard_bytes` of data each (a larger single tensor gets
  // a shard of its own). Nothing appears under its final name until finish().
  ShardedSafetensorsWriter(std::string dir, uint64_t max_shard_bytes,
                           std::map<std::string, std::string> metadata = {{"format", "pt"}});
  void add(TensorBytes t);
  // Writes the last shard, renames shards to model-0000i-of-0000N.safetensors (or
  // model.safetensors when there is one) and writes the index. Returns file names.
  std::vector<std::string> finish();

 private:
  void flush_shard();
  std::string dir_;
  uint64_t max_shard_bytes_;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorBytes> pending_;
  uint64_t pending_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  std::vector<std::string> temp_shards_;
  std::vector<std::vector<std::string>> shard_tensors_;
};

}  // namespace arecipe
