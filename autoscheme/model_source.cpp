#include "autoscheme/model_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dsl/sha256.h"
#include "engine/hub/snapshot.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace arecipe::autoscheme {

namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_file(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> shard_files(const std::string& dir) {
  std::vector<std::string> shards;
  const std::string index = dir + "/model.safetensors.index.json";
  if (is_file(index)) {
    auto j = nlohmann::json::parse(read_text_file(index, 64u << 20), nullptr, false);
    if (j.is_discarded() || !j.contains("weight_map") || !j["weight_map"].is_object())
      fail(index, "not a safetensors index (no weight_map object)");
    for (const auto& [name, file] : j["weight_map"].items())
      if (file.is_string()) shards.push_back(file.get<std::string>());
  } else {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".safetensors") shards.push_back(e.path().filename().string());
  }
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  return shards;
}

// Only the 8-byte length and the JSON header are read, never the tensors.
std::string read_header(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(path, "cannot read safetensors file");
  unsigned char len_bytes[8];
  if (!f.read(reinterpret_cast<char*>(len_bytes), 8)) fail(path, "truncated safetensors file");
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | len_bytes[i];
  if (len > (100ull << 20)) fail(path, "safetensors header larger than 100 MB");
  std::string header(len, '\0');
  if (!f.read(&header[0], static_cast<std::streamsize>(len))) fail(path, "truncated safetensors header");
  return header;
}

}  // namespace

ModelSource open_model_source(const std::string& arg) {
  ModelSource m;
  if (is_dir(arg)) {
    m.dir = arg;
    m.config_path = arg + "/config.json";
  } else {
    m.config_path = arg;
    const size_t slash = arg.rfind('/');
    m.dir = slash == std::string::npos ? "." : arg.substr(0, slash);
  }
  if (!is_file(m.config_path)) fail(arg, "no config.json here (pass a model folder or its config.json)");
  const std::string text = read_text_file(m.config_path, 16u << 20);
  // Rope types the runtime cannot run yet (DeepSeek's yarn) parse fine: the runtime,
  // not the config reader, refuses them, so planning never trips over positions.
  m.config = parse_model_config(text, m.config_path);
  m.config_sha256 = dsl::sha256_hex(text);
  m.shards = shard_files(m.dir);
  if (!m.shards.empty()) {
    dsl::Sha256 h;
    for (const auto& s : m.shards) {
      const std::string path = m.dir + "/" + s;
      if (!is_file(path)) fail(path, "shard named by the index is missing");
      h.update(s);
      h.update("\0", 1);
      h.update(read_header(path));
    }
    m.headers_sha256 = h.hex_digest();
  }
  return m;
}

ModelSource model_for_recipe(const dsl::Recipe& recipe, const std::string& model_arg) {
  if (!model_arg.empty()) return open_model_source(model_arg);
  if (!recipe.model)
    fail(recipe.sources.front()->path, "the recipe names no model: pass --model DIR (a folder with config.json)");
  const std::string& id = recipe.model->value;
  if (is_dir(id) || is_file(id)) return open_model_source(id);
  if (!hub::looks_like_repo_id(id))
    throw Error(dsl::format_diagnostic(recipe.model->loc, "model '" + id + "' is neither a local folder nor a hub id",
                                       "give a folder with config.json, an org/name hub id, or pass --model DIR"));
  // A hub id: the snapshot in the shared HF cache, downloaded (or resumed) when missing.
  // Weights come too: the lock file fingerprints the safetensors headers.
  hub::SnapshotRequest pull;
  pull.repo_id = id;
  if (recipe.revision) pull.revision = recipe.revision->value;
  try {
    return open_model_source(hub::snapshot_download(pull).dir);
  } catch (const Error& e) {
    throw Error(dsl::format_diagnostic(recipe.model->loc, e.what(),
                                       "download it where the hub is reachable (arecipe pull " + id +
                                           "), or pass --model DIR"));
  }
}

}  // namespace arecipe::autoscheme
