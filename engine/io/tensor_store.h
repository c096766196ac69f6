// All tensors of a model directory: a single model.safetensors, or the shards named
// by model.safetensors.index.json. Shards are memory-mapped, never read whole.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/io/safetensors.h"

namespace arecipe {

class TensorStore {
 public:
  // Opens `dir`; throws Error naming the file at fault (bad index, missing shard,
  // a tensor the index names that its shard lacks, corrupt shard).
  static TensorStore open_dir(const std::string& dir);

  bool contains(const std::string& name) const { return where_.count(name) != 0; }
  TensorView view(const std::string& name) const;  // throws Error if absent
  const TensorInfo* find(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const std::vector<std::unique_ptr<SafetensorsFile>>& files() const { return files_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, const SafetensorsFile*> where_;
};

}  // namespace arecipe
