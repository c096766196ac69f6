#include "engine/probe/probe_cache.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "autoscheme/model_source.h"
#include "dsl/sha256.h"
#include "engine/util/error.h"
#include "engine/util/files.h"

namespace fs = std::filesystem;

namespace arecipe::probe {
namespace {

// Bumped whenever the probes' arithmetic changes, so old cached scores stop matching.
constexpr int kProbeVersion = 1;

std::string file_safe(std::string s) {
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  return s;
}

}  // namespace

std::string CacheKey::digest() const {
  const nlohmann::json j = {{"probe_version", kProbeVersion}, {"model", model_fingerprint},
                            {"calibration", calibration_sha256}, {"method", method},
                            {"option", option}, {"nsamples", nsamples},
                            {"seqlen", seqlen}, {"batch_size", batch_size},
                            {"layers", layers}};
  return dsl::sha256_hex(j.dump());
}

std::string model_fingerprint(const std::string& model_dir) {
  const autoscheme::ModelSource m = autoscheme::open_model_source(model_dir);
  dsl::Sha256 h;
  h.update(m.config_sha256);
  h.update(m.headers_sha256);
  for (const auto& s : m.shards) {
    struct stat st;
    if (::stat((m.dir + "/" + s).c_str(), &st) != 0) fail(m.dir + "/" + s, "cannot stat the shard");
    h.update(s + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec));
  }
  return h.hex_digest();
}

std::string ProbeCache::path(const CacheKey& key) const {
  return dir_ + "/" + file_safe(key.method) + "-" + file_safe(key.option) + "-" + key.digest().substr(0, 20) + ".json";
}

std::optional<std::vector<double>> ProbeCache::read(const CacheKey& key) const {
  if (!enabled()) return std::nullopt;
  const std::string file = path(key);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(read_text_file(file, 256u << 20));
    if (j.at("key").get<std::string>() != key.digest()) throw Error("its key does not match");
    const nlohmann::json& s = j.at("scores");
    std::vector<double> out;
    for (const auto& layer : key.layers) {
      const double v = s.at(layer).get<double>();
      if (!std::isfinite(v) || v < 0) throw Error("the score of " + layer + " is not a finite non-negative number");
      out.push_back(v);
    }
    return out;
  } catch (const std::exception& e) {  // json errors and our own checks alike
    spdlog::warn("{}: ignoring an unusable probe cache file ({}); probing again", file, e.what());
    return std::nullopt;
  }
}

void ProbeCache::write(const CacheKey& key, const std::vector<double>& scores) const {
  if (!enabled()) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) fail(dir_, "cannot create the probe cache directory: " + ec.message());
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  for (size_t i = 0; i < key.layers.size(); ++i) s[key.layers[i]] = scores.at(i);
  nlohmann::ordered_json j;
  j["key"] = key.digest();
  j["method"] = key.method;
  j["option"] = key.option;
  j["model_fingerprint"] = key.model_fingerprint;
  j["calibration_sha256"] = key.calibration_sha256;
  j["nsamples"] = key.nsamples;
  j["seqlen"] = key.seqlen;
  j["batch_size"] = key.batch_size;
  j["scores"] = s;
  write_file_atomic(path(key), j.dump(1));
}

}  // namespace arecipe::probe
