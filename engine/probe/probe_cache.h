// On-disk cache of probe scores, one JSON file per (method, option) pass: a second
// `plan` with the same model, calibration data and probe settings costs no pass. The
// key covers everything a score depends on; a file whose key, layers or numbers do not
// check out is ignored with a warning (and overwritten by the fresh result). Writes
// are atomic, so an interrupted write never leaves a half file under the final name.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace arecipe::probe {

struct CacheKey {
  std::string model_fingerprint;  // model_fingerprint(dir)
  std::string calibration_sha256;  // of the calibration ids
  std::string method, option;
  int nsamples = 0, seqlen = 0, batch_size = 0;
  std::vector<std::string> layers;  // delta loss quantizes them all at once: part of the key
  std::string digest() const;      // sha256 hex over every field
};

// sha256 over config.json, every shard's safetensors header (as the lock file
// fingerprints a model, autoscheme/report.cpp) and each shard's size and
// modification time, so re-trained weights with the same shapes miss the cache.
std::string model_fingerprint(const std::string& model_dir);

class ProbeCache {
 public:
  explicit ProbeCache(std::string dir) : dir_(std::move(dir)) {}
  bool enabled() const { return !dir_.empty(); }
  std::string path(const CacheKey& key) const;
  // The cached scores in key.layers order, or nullopt (absent, or unusable: warned).
  std::optional<std::vector<double>> read(const CacheKey& key) const;
  // Creates the directory when missing; throws Error when it cannot write.
  void write(const CacheKey& key, const std::vector<double>& scores) const;

 private:
  std::string dir_;
};

}  // namespace arecipe::probe
