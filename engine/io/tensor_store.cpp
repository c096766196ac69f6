#include "engine/io/tensor_store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/util/error.h"
#include "engine/util/files.h"

namespace fs = std::filesystem;

namespace arecipe {


TensorStore TensorStore::open_dir(const std::string& dir) {
  TensorStore store;
  store.dir_ = dir;
  const fs::path root(dir);
  if (!fs::is_directory(root)) fail(dir, "not a directory");
  const fs::path index_path = root / "model.safetensors.index.json";
  if (fs::exists(index_path)) {
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(read_text_file(index_path.string(), 256u << 20));
    } catch (const nlohmann::json::exception& e) {
      fail(index_path.string(), std::string("not valid JSON: ") + e.what());
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
      fail(index_path.string(), "missing 'weight_map' object");
    std::map<std::string, const SafetensorsFile*> shard_by_name;
    for (auto it = index["weight_map"].begin(); it != index["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        fail(index_path.string(), "weight_map entry '" + it.key() + "' is not a file name");
      const std::string shard = it.value().get<std::string>();
      // Shard names are file names in the same directory, never paths.
      if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
        fail(index_path.string(), "shard name '" + shard + "' is not a plain file name");
      auto found = shard_by_name.find(shard);
      const SafetensorsFile* file;
      if (found == shard_by_name.end()) {
        if (!fs::exists(root / shard))
          fail(index_path.string(), "names shard '" + shard + "', which does not exist");
        store.files_.push_back(std::make_unique<SafetensorsFile>((root / shard).string()));
        file = store.files_.back().get();
        shard_by_name[shard] = file;
      } else {
        file = found->second;
      }
      if (!file->find(it.key()))
        fail(file->path(), "tensor '" + it.key() + "' named by the index is missing from this shard");
      store.where_[it.key()] = file;
    }
  } else if (fs::exists(root / "model.safetensors")) {
    store.files_.push_back(std::make_unique<SafetensorsFile>((root / "model.safetensors").string()));
    for (const auto& t : store.files_.back()->tensors()) store.where_[t.name] = store.files_.back().get();
  } else {
    fail(dir, "no model.safetensors or model.safetensors.index.json (pickle .bin checkpoints are "
              "never loaded: convert them to safetensors)");
  }
  return store;
}

const TensorInfo* TensorStore::find(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? nullptr : it->second->find(name);
}

TensorView TensorStore::view(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) fail(dir_, "tensor '" + name + "' not found in the model");
  return it->second->view(*it->second->find(name));
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& kv : where_) out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace arecipe
