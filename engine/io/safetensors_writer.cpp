#include "engine/io/safetensors_writer.h"

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/util/error.h"
#include "engine/util/files.h"

namespace arecipe {

namespace {
std::string encode_safetensors(const std::vector<TensorBytes>& tensors,
                               const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t expect = dtype_size(t.dtype);
    for (int64_t d : t.shape) expect *= static_cast<uint64_t>(d);
    if (expect != t.bytes.size())
      throw Error("internal: tensor '" + t.name + "' has " + std::to_string(t.bytes.size()) +
                  " bytes, shape says " + std::to_string(expect));
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // align the data buffer to 8 bytes
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += h;
  for (const auto& t : tensors) out += t.bytes;
  return out;
}
}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorBytes>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  write_file_atomic(path, encode_safetensors(tensors, metadata));
}

ShardedSafetensorsWriter::ShardedSafetensorsWriter(std::string dir, uint64_t max_shard_bytes,
                                                   std::map<std::string, std::string> metadata)
    : dir_(std::move(dir)), max_shard_bytes_(max_shard_bytes), metadata_(std::move(metadata)) {}

void ShardedSafetensorsWriter::add(TensorBytes t) {
  if (!pending_.empty() && pending_bytes_ + t.bytes.size() > max_shard_bytes_) flush_shard();
  pending_bytes_ += t.bytes.size();
  total_bytes_ += t.bytes.size();
  pending_.push_back(std::move(t));
}

void ShardedSafetensorsWriter::flush_shard() {
  const std::string tmp = dir_ + "/.shard-" + std::to_string(temp_shards_.size()) + ".partial";
  write_safetensors(tmp, pending_, metadata_);
  std::vector<std::string> names;
  for (const auto& t : pending_) names.push_back(t.name);
  temp_shards_.push_back(tmp);
  shard_tensors_.push_back(std::move(names));
  pending_.clear();
  pending_bytes_ = 0;
}

std::vector<std::string> ShardedSafetensorsWriter::finish() {
  if (!pending_.empty() || temp_shards_.empty()) flush_shard();
  const size_t n = temp_shards_.size();
  std::vector<std::string> final_names;
  if (n == 1) {
    final_names.push_back("model.safetensors");
  } else {
    for (size_t i = 0; i < n; ++i) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, n);
      final_names.push_back(buf);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    std::error_code ec;
    std::filesystem::rename(temp_shards_[i], dir_ + "/" + final_names[i], ec);
    if (ec) fail(dir_ + "/" + final_names[i], "cannot rename shard: " + ec.message());
  }
  if (n > 1) {
    nlohmann::ordered_json index;
    index["metadata"] = {{"total_size", total_bytes_}};
    nlohmann::ordered_json map = nlohmann::ordered_json::object();
    for (size_t i = 0; i < n; ++i)
      for (const auto& name : shard_tensors_[i]) map[name] = final_names[i];
    index["weight_map"] = map;
    write_file_atomic(dir_ + "/model.safetensors.index.json", index.dump(2) + "\n");
    final_names.push_back("model.safetensors.index.json");
  }
  return final_names;
}

}  // namespace arecipe
