// Downloads a repository (model or dataset) from the Hugging Face hub (or a mirror:
// $HF_ENDPOINT) into the shared HF cache and returns the local snapshot folder, like
// huggingface_hub's snapshot_download, restricted to the files a FileSelector picks. For
// models that is what arecipe reads: configs, tokenizer files and safetensors weights;
// pickle weights (*.bin, *.pt) are never fetched. Datasets: dataset_snapshot.h.
//  - resumable: an interrupted file continues from its .incomplete part;
//  - verified: size always, sha256 for LFS files (their etag is the sha256);
//  - offline: $HF_HUB_OFFLINE=1 (or `offline`) resolves from the cache only;
//  - auth: $HF_TOKEN, else the token file huggingface-cli login writes.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/hub/hub_cache.h"

namespace arecipe::hub {

struct SnapshotRequest {
  std::string repo_id;             // "Qwen/Qwen3-8B"
  RepoType repo_type = RepoType::kModel;
  std::string revision = "main";   // branch, tag or commit
  std::string cache_root;          // "" = default_cache_root()
  std::string endpoint;            // "" = $HF_ENDPOINT or https://huggingface.co
  std::string token;               // "" = $HF_TOKEN or the saved token
  bool offline = false;            // also set by $HF_HUB_OFFLINE=1
  bool config_only = false;        // models: config.json (+ index and tokenizer files), no weights
  bool progress = true;
};

struct Snapshot {
  std::string dir;     // <cache>/{models,datasets}--org--name/snapshots/<commit>
  std::string commit;
  std::vector<std::string> files;       // relative paths present in the snapshot
  std::vector<std::string> downloaded;  // those fetched by this call
};

// Picks the files to fetch from a repository's file list, or throws Error to refuse the
// repository (with the reason). `cached` is true when `files` lists a snapshot already in
// the cache (offline, or the hub unreachable) rather than the hub's listing.
using FileSelector = std::function<std::vector<std::string>(const std::vector<std::string>& files, bool cached)>;

Snapshot snapshot_download(const SnapshotRequest& request, const FileSelector& select);
// A model: wanted_file(), a config.json, and safetensors weights unless config_only.
Snapshot snapshot_download(const SnapshotRequest& request);

// Whether a recipe's `model:` names a hub repo rather than a local folder.
bool looks_like_repo_id(const std::string& model);

// Which repository files arecipe wants (configs, tokenizer, safetensors).
bool wanted_file(const std::string& path, bool config_only);

}  // namespace arecipe::hub
